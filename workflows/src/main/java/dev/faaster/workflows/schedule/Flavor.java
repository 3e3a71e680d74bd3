package dev.faaster.workflows.schedule;

import java.util.List;

/**
 * The standard flavors: every slot, and every instance, is one of these memory sizes. Each flavor
 * is twice the one below it, so a free slot splits into two of the next smaller flavor and two free
 * neighbours merge into one of the next larger (see {@link SlotRebalancer}).
 */
public enum Flavor {
  MB_128(128),
  MB_256(256),
  MB_512(512),
  MB_1024(1024);

  /** Smallest to largest. */
  public static final List<Flavor> ASCENDING = List.of(values());

  /** Largest to smallest: the order a slot plan lays slots out in. */
  public static final List<Flavor> DESCENDING = List.of(MB_1024, MB_512, MB_256, MB_128);

  public static final Flavor SMALLEST = MB_128;
  public static final Flavor LARGEST = MB_1024;

  private final int memoryMb;

  Flavor(int memoryMb) {
    this.memoryMb = memoryMb;
  }

  public int memoryMb() {
    return memoryMb;
  }

  /**
   * The smallest flavor that holds {@code memoryMb}.
   *
   * @throws IllegalArgumentException when {@code memoryMb} is not positive or exceeds the largest flavor
   */
  public static Flavor flavorFor(int memoryMb) {
    if (memoryMb <= 0) {
      throw new IllegalArgumentException("memory must be positive, not " + memoryMb + " MiB");
    }
    for (Flavor flavor : ASCENDING) {
      if (memoryMb <= flavor.memoryMb) {
        return flavor;
      }
    }
    throw new IllegalArgumentException(
        memoryMb + " MiB exceeds the largest flavor (" + LARGEST.memoryMb + " MiB); flavors are " + sizes());
  }

  /** The flavor of exactly {@code memoryMb}. */
  public static Flavor ofExactly(int memoryMb) {
    for (Flavor flavor : ASCENDING) {
      if (flavor.memoryMb == memoryMb) {
        return flavor;
      }
    }
    throw new IllegalArgumentException("no flavor of " + memoryMb + " MiB; flavors are " + sizes());
  }

  /** Half this flavor, or null for the smallest. */
  public Flavor half() {
    return ordinal() == 0 ? null : values()[ordinal() - 1];
  }

  /** Twice this flavor, or null for the largest. */
  public Flavor twice() {
    return ordinal() == values().length - 1 ? null : values()[ordinal() + 1];
  }

  private static List<Integer> sizes() {
    return ASCENDING.stream().map(Flavor::memoryMb).toList();
  }
}

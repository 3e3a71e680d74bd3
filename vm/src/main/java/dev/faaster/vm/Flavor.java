package dev.faaster.vm;

/**
 * A fixed instance size. Template and clones of one template share a flavor: the clones map the
 * template's memory file, so its size is part of the template.
 *
 * @param memoryMiB guest RAM in MiB
 * @param vcpus virtual CPUs
 */
public record Flavor(int memoryMiB, int vcpus) {

  /** 128 MiB, one vCPU: the platform's default function size. */
  public static final Flavor SMALL = new Flavor(128, 1);

  public Flavor {
    if (memoryMiB < 32 || memoryMiB > 65536) {
      throw new IllegalArgumentException("memoryMiB out of range [32, 65536]: " + memoryMiB);
    }
    if (vcpus < 1 || vcpus > 64) {
      throw new IllegalArgumentException("vcpus out of range [1, 64]: " + vcpus);
    }
  }

  public long memoryBytes() {
    return (long) memoryMiB << 20;
  }
}

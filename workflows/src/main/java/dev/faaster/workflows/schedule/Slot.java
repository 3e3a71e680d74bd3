package dev.faaster.workflows.schedule;

/**
 * A piece of one node's capacity, cut ahead of time: {@code flavor} MiB at {@code offsetMb} in the
 * node's memory (and the vCPU share that comes with it). Offsets are multiples of the flavor, so a
 * slot's buddy (the other half of the slot it could merge into) is at {@code offsetMb ^ flavorMb}.
 *
 * @param id {@code node/flavor@offset}: the same plan on the same node always names the same slots
 */
public record Slot(String id, String nodeId, Flavor flavor, int offsetMb) {

  public Slot {
    if (offsetMb < 0 || offsetMb % flavor.memoryMb() != 0) {
      throw new IllegalArgumentException("offset " + offsetMb + " is not aligned to " + flavor.memoryMb() + " MiB");
    }
  }

  public static Slot of(String nodeId, Flavor flavor, int offsetMb) {
    return new Slot(nodeId + "/" + flavor.memoryMb() + "@" + offsetMb, nodeId, flavor, offsetMb);
  }

  /** The slot this one would merge with into one of twice the size (null for the largest flavor). */
  public Slot buddy() {
    return flavor.twice() == null ? null : of(nodeId, flavor, offsetMb ^ flavor.memoryMb());
  }

  /** The two halves this slot splits into (empty for the smallest flavor). */
  public Slot[] halves() {
    Flavor half = flavor.half();
    return half == null ? new Slot[0] : new Slot[] {of(nodeId, half, offsetMb), of(nodeId, half, offsetMb + half.memoryMb())};
  }

  /** The slot two buddies merge into (null for the largest flavor). */
  public Slot parent() {
    Flavor twice = flavor.twice();
    return twice == null ? null : of(nodeId, twice, offsetMb & ~flavor.memoryMb());
  }

  /** Whether the two slots share memory on one node. */
  public boolean overlaps(Slot other) {
    return nodeId.equals(other.nodeId)
        && offsetMb < other.offsetMb + other.flavor.memoryMb()
        && other.offsetMb < offsetMb + flavor.memoryMb();
  }
}

package dev.faaster.zonecache.store;

import java.util.List;

/**
 * What the policy decided.
 *
 * @param evictions entries to remove, in order
 * @param bytesAfter bytes held once they are gone
 * @param withinBound false when even these evictions leave the cache over its bound (everything
 *     else is inside the grace period): the policy couldn't get under it now
 */
public record EvictionPlan(List<Eviction> evictions, long bytesAfter, boolean withinBound) {

  /**
   * One entry to remove.
   *
   * @param sha256 the entry's digest
   * @param sizeBytes bytes it frees
   * @param reason why it was chosen
   */
  public record Eviction(String sha256, long sizeBytes, EvictionReason reason) {}
}

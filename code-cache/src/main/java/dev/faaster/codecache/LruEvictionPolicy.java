package dev.faaster.codecache;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/**
 * Decides which cache entries make room for a new one: least recently used first, never one in
 * use, and, for speculative fills, never one used within a protection window. Pure: entries and
 * time come in as parameters, so the simulator replays it with a driven clock.
 */
public final class LruEvictionPolicy {

  /** Oldest use first; ties broken by digest so a decision never depends on iteration order. */
  private static final Comparator<Candidate> LEAST_RECENTLY_USED =
      Comparator.comparing(Candidate::lastUsed).thenComparing(Candidate::sha256);

  /**
   * One cached entry as the policy sees it.
   *
   * @param sha256 the entry's digest
   * @param sizeBytes bytes it occupies
   * @param lastUsed when it was last acquired or released (or installed)
   * @param pins leases held on it; an entry with pins is in use and never evicted
   */
  public record Candidate(String sha256, long sizeBytes, Instant lastUsed, int pins) {}

  /**
   * What to evict.
   *
   * @param evict digests to remove, least recently used first
   * @param bytesAfter bytes cached once they are removed and the new entry is in
   * @param fits whether the new entry fits the bound after the evictions; when false, {@code evict}
   *     lists every entry that may go and the caller decides: overshoot the bound (the package is
   *     needed now) or give up (a speculative fill)
   */
  public record Decision(List<String> evict, long bytesAfter, boolean fits) {}

  /**
   * @param entries what is cached now
   * @param maxBytes the bound
   * @param incomingBytes size of the entry to add
   * @param now the current time
   * @param protectUsedWithin entries used less than this long before {@code now} stay;
   *     {@link Duration#ZERO} for plain LRU
   */
  public Decision decide(
      Collection<Candidate> entries, long maxBytes, long incomingBytes, Instant now, Duration protectUsedWithin) {
    long used = entries.stream().mapToLong(Candidate::sizeBytes).sum();
    long excess = used + incomingBytes - maxBytes;
    if (excess <= 0) {
      return new Decision(List.of(), used + incomingBytes, true);
    }
    Instant protectedSince = now.minus(protectUsedWithin);
    List<Candidate> evictable = new ArrayList<>();
    for (Candidate entry : entries) {
      boolean inUse = entry.pins() > 0;
      boolean recent = !protectUsedWithin.isZero() && entry.lastUsed().isAfter(protectedSince);
      if (!inUse && !recent) {
        evictable.add(entry);
      }
    }
    evictable.sort(LEAST_RECENTLY_USED);
    List<String> evict = new ArrayList<>();
    long freed = 0;
    for (Candidate entry : evictable) {
      if (freed >= excess) {
        break;
      }
      evict.add(entry.sha256());
      freed += entry.sizeBytes();
    }
    return new Decision(List.copyOf(evict), used - freed + incomingBytes, freed >= excess);
  }
}

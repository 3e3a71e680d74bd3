package dev.faaster.zonecache.store;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/**
 * Decides which entries leave the zone cache when it holds more than its size bound. Inactive
 * entries (no function version or pending deployment references the digest) go first, least
 * recently used first; active ones follow, least recently used first, only while the cache is still
 * over the bound. Entries used within the grace period stay, whatever else happens: a node may be
 * reading them right now. Under the bound, nothing is evicted. Pure: entries, their activity and the
 * time come in as parameters.
 */
public final class EvictionPolicy {

  private static final Comparator<EvictionCandidate> ORDER =
      Comparator.comparing(EvictionCandidate::active) // false (inactive) first
          .thenComparing(EvictionCandidate::lastUsed)
          .thenComparing(EvictionCandidate::sha256);

  private final long maxBytes;
  private final Duration grace;

  public EvictionPolicy(long maxBytes, Duration grace) {
    if (maxBytes < 0) {
      throw new IllegalArgumentException("maxBytes must not be negative: " + maxBytes);
    }
    if (grace.isNegative()) {
      throw new IllegalArgumentException("grace must not be negative: " + grace);
    }
    this.maxBytes = maxBytes;
    this.grace = grace;
  }

  public long maxBytes() {
    return maxBytes;
  }

  public EvictionPlan plan(Collection<EvictionCandidate> entries, Instant now) {
    long total = entries.stream().mapToLong(EvictionCandidate::sizeBytes).sum();
    List<EvictionPlan.Eviction> evictions = new ArrayList<>();
    if (total <= maxBytes) {
      return new EvictionPlan(evictions, total, true);
    }
    List<EvictionCandidate> ordered =
        entries.stream().filter(entry -> outsideGrace(entry, now)).sorted(ORDER).toList();
    for (EvictionCandidate entry : ordered) {
      if (total <= maxBytes) {
        break;
      }
      EvictionReason reason = entry.active() ? EvictionReason.LEAST_RECENTLY_USED : EvictionReason.INACTIVE;
      evictions.add(new EvictionPlan.Eviction(entry.sha256(), entry.sizeBytes(), reason));
      total -= entry.sizeBytes();
    }
    return new EvictionPlan(evictions, total, total <= maxBytes);
  }

  private boolean outsideGrace(EvictionCandidate entry, Instant now) {
    return !entry.lastUsed().plus(grace).isAfter(now);
  }
}

package dev.faaster.codecache;

import java.nio.file.Path;
import java.time.Duration;

/**
 * How the node cache behaves, without any framework.
 *
 * @param directory where entries live ({@code <sha256>.zip}) and temporary files are written
 * @param maxBytes size bound; entries in use may push the cache past it, never evictions of them
 * @param scrubInterval how often every entry is hashed again; {@link Duration#ZERO} turns the
 *     scheduled scrub off ({@link NodeCodeCache#scrub()} still works)
 * @param prefetchConcurrency fetches the background prefetch runs at once; 0 turns prefetch (and
 *     background repair) off
 * @param prefetchProtect a prefetch never evicts an entry used within this window
 */
public record L1Settings(
    Path directory, long maxBytes, Duration scrubInterval, int prefetchConcurrency, Duration prefetchProtect) {

  public L1Settings {
    if (maxBytes <= 0) {
      throw new IllegalArgumentException("maxBytes must be positive: " + maxBytes);
    }
    if (prefetchConcurrency < 0) {
      throw new IllegalArgumentException("prefetchConcurrency must not be negative: " + prefetchConcurrency);
    }
    if (scrubInterval.isNegative() || prefetchProtect.isNegative()) {
      throw new IllegalArgumentException("durations must not be negative");
    }
  }

  /** Defaults for a directory: 4 GiB, scrub every 6 h, 2 prefetches at once, 10 min protection. */
  public static L1Settings defaults(Path directory) {
    return new L1Settings(directory, 4L << 30, Duration.ofHours(6), 2, Duration.ofMinutes(10));
  }

  public L1Settings withMaxBytes(long newMaxBytes) {
    return new L1Settings(directory, newMaxBytes, scrubInterval, prefetchConcurrency, prefetchProtect);
  }

  public L1Settings withScrubInterval(Duration newScrubInterval) {
    return new L1Settings(directory, maxBytes, newScrubInterval, prefetchConcurrency, prefetchProtect);
  }

  public L1Settings withPrefetch(int newConcurrency, Duration newProtect) {
    return new L1Settings(directory, maxBytes, scrubInterval, newConcurrency, newProtect);
  }
}

package dev.faaster.zonecache.store;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.function.ToDoubleFunction;

/**
 * The zone cache's meters, tagged {@code tier=l2} so every cache tier reports under one name:
 * {@code faaster_cache_hits_total}, {@code faaster_cache_misses_total},
 * {@code faaster_cache_served_bytes_total}, {@code faaster_cache_origin_fetch_seconds} (histogram,
 * by outcome), {@code faaster_cache_evictions_total} (by reason), {@code faaster_cache_corrupt_total}
 * (by source), {@code faaster_cache_stored_bytes} and {@code faaster_cache_entries}.
 */
@Singleton
public class ZoneCacheMetrics {

  static final String TIER = "l2";

  private final MeterRegistry registry;
  private final Counter hits;
  private final Counter misses;
  private final Counter servedBytes;

  public ZoneCacheMetrics(MeterRegistry registry) {
    this.registry = registry;
    this.hits =
        Counter.builder("faaster.cache.hits")
            .description("Requests served from what the tier already held")
            .tag("tier", TIER)
            .register(registry);
    this.misses =
        Counter.builder("faaster.cache.misses")
            .description("Requests that needed a fetch from the next tier")
            .tag("tier", TIER)
            .register(registry);
    this.servedBytes =
        Counter.builder("faaster.cache.served.bytes")
            .description("Package bytes sent in response bodies")
            .baseUnit("bytes")
            .tag("tier", TIER)
            .register(registry);
  }

  void request(boolean hit) {
    (hit ? hits : misses).increment();
  }

  /** Bytes a response body is about to send (its Content-Length). */
  public void served(long bytes) {
    servedBytes.increment(bytes);
  }

  void originFetch(Duration took, String outcome) {
    Timer.builder("faaster.cache.origin.fetch")
        .description("Time to fetch, verify and install a package from the origin")
        .tag("tier", TIER)
        .tag("outcome", outcome)
        .publishPercentileHistogram()
        .register(registry)
        .record(took);
  }

  void evicted(EvictionReason reason, long bytes) {
    Counter.builder("faaster.cache.evictions")
        .description("Entries removed to stay under the size bound")
        .tag("tier", TIER)
        .tag("reason", reason.name().toLowerCase())
        .register(registry)
        .increment();
    Counter.builder("faaster.cache.evicted.bytes")
        .description("Bytes of the entries removed to stay under the size bound")
        .baseUnit("bytes")
        .tag("tier", TIER)
        .register(registry)
        .increment(bytes);
  }

  /** A copy whose bytes didn't hash to its digest: {@code disk} (evicted, refetched) or {@code origin}. */
  void corrupt(String source) {
    Counter.builder("faaster.cache.corrupt")
        .description("Copies whose bytes did not match their digest")
        .tag("tier", TIER)
        .tag("source", source)
        .register(registry)
        .increment();
  }

  <T> void gauge(String name, String description, String unit, T target, ToDoubleFunction<T> value) {
    Gauge.builder(name, target, value).description(description).baseUnit(unit).tag("tier", TIER).register(registry);
  }
}

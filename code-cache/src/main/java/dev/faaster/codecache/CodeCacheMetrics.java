package dev.faaster.codecache;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;

/**
 * The cache's meters. Every tier request (L1 included) counts in {@value #REQUESTS} and is timed in
 * {@value #LATENCY} with tags {@code tier}, {@code outcome} and {@code purpose} ({@code demand},
 * {@code prefetch}, {@code repair}); delivered bytes count in {@value #BYTES}. {@value #ACQUIRE}
 * times whole acquires by the tier that served them ({@code source}).
 */
public final class CodeCacheMetrics {

  public static final String REQUESTS = "faaster.code.cache.requests";
  public static final String LATENCY = "faaster.code.cache.latency";
  public static final String BYTES = "faaster.code.cache.bytes";
  public static final String ACQUIRE = "faaster.code.cache.acquire";
  public static final String EVICTIONS = "faaster.code.cache.l1.evictions";

  /** Outcome tag values. */
  public static final String HIT = "hit";
  public static final String MISS = "miss";
  public static final String JOINED = "joined";
  public static final String CORRUPT = "corrupt";
  public static final String TOO_LARGE = "too_large";
  public static final String ERROR = "error";
  public static final String DENIED = "denied";
  public static final String SKIPPED = "skipped";

  /** Why L1 entries are removed: room for another ({@code lru}), bad bytes, or a fresh copy installed over them. */
  public static final List<String> EVICTION_REASONS = List.of("lru", "corrupt", "replaced");

  private final MeterRegistry registry;
  private final Counter l1DemandHits;
  private final Timer l1DemandHitLatency;
  private final Counter l1DemandHitBytes;
  private final Timer acquireFromL1;
  private final Map<String, Counter[]> evictions = new HashMap<>();

  CodeCacheMetrics(MeterRegistry registry) {
    this.registry = registry;
    this.l1DemandHits = requests(NodeCodeCache.L1, HIT, "demand");
    this.l1DemandHitLatency = latency(NodeCodeCache.L1, HIT, "demand");
    this.l1DemandHitBytes = bytes(NodeCodeCache.L1, "demand");
    this.acquireFromL1 = acquire(NodeCodeCache.L1);
    // Registered up front: evictions are counted under the cache's lock, where no registry lock may be taken.
    for (String reason : EVICTION_REASONS) {
      evictions.put(reason, new Counter[] {
          Counter.builder(EVICTIONS).tag("reason", reason).description("L1 entries removed").register(registry),
          Counter.builder(EVICTIONS + ".bytes").tag("reason", reason).baseUnit("bytes").register(registry)
      });
    }
  }

  /** The hot path: an L1 hit, with meters looked up once. */
  void l1Hit(long nanos, long sizeBytes) {
    l1DemandHits.increment();
    l1DemandHitLatency.record(nanos, TimeUnit.NANOSECONDS);
    l1DemandHitBytes.increment(sizeBytes);
    acquireFromL1.record(nanos, TimeUnit.NANOSECONDS);
  }

  void request(String tier, String outcome, String purpose, long nanos, long deliveredBytes) {
    requests(tier, outcome, purpose).increment();
    latency(tier, outcome, purpose).record(nanos, TimeUnit.NANOSECONDS);
    if (deliveredBytes > 0) {
      bytes(tier, purpose).increment(deliveredBytes);
    }
  }

  void acquired(String source, Duration elapsed) {
    acquire(source).record(elapsed);
  }

  /** Counts a removed entry; {@code reason} is one of {@link #EVICTION_REASONS}. */
  void evicted(String reason, long sizeBytes) {
    Counter[] counters = evictions.get(reason);
    counters[0].increment();
    counters[1].increment(sizeBytes);
  }

  <T> void gauge(String name, String unit, T owner, ToDoubleFunction<T> value) {
    Gauge.builder(name, owner, value).baseUnit(unit).strongReference(true).register(registry);
  }

  private Counter requests(String tier, String outcome, String purpose) {
    return Counter.builder(REQUESTS)
        .description("code package requests per tier")
        .tags("tier", tier, "outcome", outcome, "purpose", purpose)
        .register(registry);
  }

  private Timer latency(String tier, String outcome, String purpose) {
    return Timer.builder(LATENCY)
        .description("time a tier took to deliver (or fail to deliver) a verified package")
        .tags("tier", tier, "outcome", outcome, "purpose", purpose)
        .publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofMillis(1).dividedBy(10))
        .maximumExpectedValue(Duration.ofMinutes(2))
        .register(registry);
  }

  private Counter bytes(String tier, String purpose) {
    return Counter.builder(BYTES)
        .description("verified package bytes delivered per tier")
        .baseUnit("bytes")
        .tags("tier", tier, "purpose", purpose)
        .register(registry);
  }

  private Timer acquire(String source) {
    return Timer.builder(ACQUIRE)
        .description("time until a package is usable on the node, by the tier that served it")
        .tag("source", source)
        .publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofMillis(1).dividedBy(10))
        .maximumExpectedValue(Duration.ofMinutes(2))
        .register(registry);
  }
}

package dev.faaster.bench;

import dev.faaster.codecache.LruEvictionPolicy;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Replays a synthetic invocation trace against per-node L1 caches that evict with the node cache's
 * own {@link LruEvictionPolicy}; sizes only, no files, a driven clock. Models what {@code
 * NodeCodeCache} does on an acquire: a hit refreshes the entry's last use; a miss fetches the
 * package from L2 and installs it, evicting least recently used entries (never past the bound: no
 * package is pinned in the trace, invocations are instantaneous); with prefetch, a fetch from L2 is
 * followed by installing the tenant's other active packages, each only if it fits without evicting
 * an entry used within the protection window (as {@code Purpose.PREFETCH} does). The prefetch
 * completes before the next invocation (the real one runs in the background, a few at a time).
 * L2 holds every active package (the deploy warms it; it is sized for all of them), so every L1
 * miss is an L2 hit and the origin is never asked.
 */
final class CacheTraceSimulation {

  record Params(
      long seed,
      int tenants,
      int minFunctions,
      int maxFunctions,
      double tenantZipf,
      double functionZipf,
      long minPackageBytes,
      long maxPackageBytes,
      int invocations,
      int nodes,
      double l1Fraction,
      Duration interArrival,
      Duration prefetchProtect) {

    Map<String, Object> describe() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("seed", seed);
      m.put("tenants", tenants);
      m.put("functionsPerTenant", minFunctions + "-" + maxFunctions + " (uniform)");
      m.put("tenantPopularity", "Zipf s=" + tenantZipf);
      m.put("functionPopularityWithinTenant", "Zipf s=" + functionZipf);
      m.put("packageBytes", "log-uniform " + (minPackageBytes >> 20) + "-" + (maxPackageBytes >> 20) + " MiB, one package per function");
      m.put("invocations", invocations);
      m.put("nodes", nodes + " (uniformly random per invocation)");
      m.put("l1BoundPerNode", "fraction " + l1Fraction + " of all packages' bytes");
      m.put("clock", "one invocation every " + interArrival.toMillis() + " ms (cluster-wide)");
      m.put("prefetchProtect", prefetchProtect.toString());
      m.put("evictionPolicy", "dev.faaster.codecache.LruEvictionPolicy (the node cache's own)");
      m.put("l2Model", "L2 holds every active package (warmed at deploy, bound >= all active bytes): every L1 miss is an L2 hit, no L2 eviction, no origin GET");
      m.put("prefetchModel", "after an L1 miss, the tenant's other active packages are installed before the next invocation, each only if it fits without evicting an entry used within prefetchProtect");
      return m;
    }
  }

  record Result(
      boolean prefetch,
      long l1Hits,
      long l2Hits,
      long originFetches,
      long l1HitsAfterWarmup,
      long invocationsAfterWarmup,
      long demandFetchedBytes,
      long prefetchedPackages,
      long prefetchedBytes,
      long prefetchSkipped,
      long evictions,
      int invocations) {

    double l1HitRate() {
      return (double) l1Hits / invocations;
    }

    double l1l2HitRate() {
      return (double) (l1Hits + l2Hits) / invocations;
    }

    double l1HitRateAfterWarmup() {
      return (double) l1HitsAfterWarmup / invocationsAfterWarmup;
    }

    Map<String, Object> describe() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("l1_hit_rate", round4(l1HitRate()));
      m.put("l1_l2_hit_rate", round4(l1l2HitRate()));
      m.put("l1_hit_rate_after_first_10pct", round4(l1HitRateAfterWarmup()));
      m.put("l1_hits", l1Hits);
      m.put("l2_hits", l2Hits);
      m.put("origin_fetches", originFetches);
      m.put("demand_fetched_MiB", demandFetchedBytes >> 20);
      m.put("prefetched_packages", prefetchedPackages);
      m.put("prefetched_MiB", prefetchedBytes >> 20);
      m.put("prefetch_skipped_no_room", prefetchSkipped);
      m.put("evictions", evictions);
      return m;
    }
  }

  private record Pkg(String sha256, int tenant, long sizeBytes) {}

  private static final class Entry {
    final long sizeBytes;
    Instant lastUsed;

    Entry(long sizeBytes, Instant lastUsed) {
      this.sizeBytes = sizeBytes;
      this.lastUsed = lastUsed;
    }
  }

  private final Params params;
  private final List<List<Pkg>> packagesByTenant = new ArrayList<>();
  private final long totalBytes;
  private final int packageCount;

  CacheTraceSimulation(Params params) {
    this.params = params;
    Random random = new Random(params.seed());
    long total = 0;
    int count = 0;
    double logMin = Math.log(params.minPackageBytes());
    double logMax = Math.log(params.maxPackageBytes());
    for (int t = 0; t < params.tenants(); t++) {
      int functions = params.minFunctions() + random.nextInt(params.maxFunctions() - params.minFunctions() + 1);
      List<Pkg> pkgs = new ArrayList<>();
      for (int f = 0; f < functions; f++) {
        long size = (long) Math.exp(logMin + random.nextDouble() * (logMax - logMin));
        pkgs.add(new Pkg(String.format("%064x", (long) count + 1), t, size));
        total += size;
        count++;
      }
      packagesByTenant.add(pkgs);
    }
    this.totalBytes = total;
    this.packageCount = count;
  }

  long totalBytes() {
    return totalBytes;
  }

  int packageCount() {
    return packageCount;
  }

  long l1BoundBytes() {
    return (long) (totalBytes * params.l1Fraction());
  }

  /** Replays the trace (the same one for both settings: its own seeded generator). */
  Result run(boolean prefetch) {
    Random random = new Random(params.seed() + 1);
    double[] tenantCdf = zipfCdf(params.tenants(), params.tenantZipf());
    List<double[]> functionCdfs = new ArrayList<>();
    for (List<Pkg> pkgs : packagesByTenant) {
      functionCdfs.add(zipfCdf(pkgs.size(), params.functionZipf()));
    }
    LruEvictionPolicy policy = new LruEvictionPolicy();
    List<Map<String, Entry>> nodes = new ArrayList<>();
    for (int n = 0; n < params.nodes(); n++) {
      nodes.add(new HashMap<>());
    }
    long maxBytes = l1BoundBytes();
    Instant now = Instant.parse("2026-01-01T00:00:00Z");
    int warmup = params.invocations() / 10;
    long l1Hits = 0, l2Hits = 0, l1HitsAfter = 0, demandBytes = 0, prefetched = 0, prefetchedBytes = 0, skipped = 0;
    long[] evictions = {0};
    for (int i = 0; i < params.invocations(); i++) {
      now = now.plus(params.interArrival());
      int tenant = sample(tenantCdf, random);
      Pkg pkg = packagesByTenant.get(tenant).get(sample(functionCdfs.get(tenant), random));
      Map<String, Entry> l1 = nodes.get(random.nextInt(params.nodes()));
      Entry hit = l1.get(pkg.sha256());
      if (hit != null) {
        hit.lastUsed = now;
        l1Hits++;
        if (i >= warmup) {
          l1HitsAfter++;
        }
        continue;
      }
      l2Hits++; // L2 holds every active package.
      demandBytes += pkg.sizeBytes();
      install(policy, l1, maxBytes, pkg, now, Duration.ZERO, false, evictions);
      if (prefetch) {
        for (Pkg other : packagesByTenant.get(tenant)) {
          if (l1.containsKey(other.sha256())) {
            continue;
          }
          if (install(policy, l1, maxBytes, other, now, params.prefetchProtect(), true, evictions)) {
            prefetched++;
            prefetchedBytes += other.sizeBytes();
          } else {
            skipped++;
          }
        }
      }
    }
    return new Result(prefetch, l1Hits, l2Hits, 0, l1HitsAfter, params.invocations() - warmup, demandBytes, prefetched,
        prefetchedBytes, skipped, evictions[0], params.invocations());
  }

  private static boolean install(LruEvictionPolicy policy, Map<String, Entry> l1, long maxBytes, Pkg pkg, Instant now,
      Duration protect, boolean speculative, long[] evictions) {
    List<LruEvictionPolicy.Candidate> candidates = new ArrayList<>(l1.size());
    l1.forEach((sha, e) -> candidates.add(new LruEvictionPolicy.Candidate(sha, e.sizeBytes, e.lastUsed, 0)));
    LruEvictionPolicy.Decision decision = policy.decide(candidates, maxBytes, pkg.sizeBytes(), now, protect);
    if (!decision.fits() && speculative) {
      return false;
    }
    for (String victim : decision.evict()) {
      l1.remove(victim);
      evictions[0]++;
    }
    l1.put(pkg.sha256(), new Entry(pkg.sizeBytes(), now));
    return true;
  }

  private static double[] zipfCdf(int n, double s) {
    double[] cdf = new double[n];
    double sum = 0;
    for (int k = 1; k <= n; k++) {
      sum += 1.0 / Math.pow(k, s);
      cdf[k - 1] = sum;
    }
    for (int k = 0; k < n; k++) {
      cdf[k] /= sum;
    }
    return cdf;
  }

  private static int sample(double[] cdf, Random random) {
    double u = random.nextDouble();
    int lo = 0, hi = cdf.length - 1;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (cdf[mid] < u) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  static double round4(double v) {
    return Math.round(v * 10000.0) / 10000.0;
  }
}

package dev.faaster.bench;

import dev.faaster.codecache.ActivePackages;
import dev.faaster.codecache.CodeTier;
import dev.faaster.codecache.L1Settings;
import dev.faaster.codecache.Lease;
import dev.faaster.codecache.NodeCodeCache;
import dev.faaster.codecache.OriginTier;
import dev.faaster.codecache.ZoneCacheTier;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micronaut.json.JsonMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

/**
 * {@code ./faaster bench cache}: the code cache, side by side in one run.
 *
 * <ol>
 *   <li>Time until a 1 MiB and a 50 MiB package is usable on the node ({@link NodeCodeCache#acquire}
 *       returns a lease: verified, on local disk) for an L1 hit, an L2 hit (fresh L1 directory each
 *       run, the zone cache warm) and an origin fetch (fresh L1, no L2); and the zone cache's
 *       serving throughput (GET of the 50 MiB package over loopback through the node's L2 client,
 *       bytes discarded; the JDK's java.net.http.HttpClient beside it for comparison).
 *   <li>Origin GETs caused by 100 concurrent acquires of one package on a cold node (L1 only in
 *       front of the origin; and L1 in front of a cold L2 in front of the origin).
 *   <li>Hit rates of L1 and L1+L2 replaying a synthetic trace on 4 nodes, with and without the
 *       per-tenant prefetch ({@link CacheTraceSimulation}: the cache's own eviction policy, sizes only).
 * </ol>
 *
 * Real parts: an embedded S3 server (S3Proxy) as origin, the zone cache process's Micronaut context
 * in this JVM over loopback HTTP, and L1 directories under a temporary directory.
 */
public final class CacheBenchmark {

  private static final int MIB = 1 << 20;
  /** The buffer NodeCodeCache reads a tier's stream with. */
  private static final int NODE_READ_BYTES = 256 * 1024;

  public static void main(String[] args) throws Exception {
    int l1Runs = Integer.parseInt(System.getenv().getOrDefault("FAASTER_BENCH_L1_RUNS", "200"));
    int fetchRuns = Integer.parseInt(System.getenv().getOrDefault("FAASTER_BENCH_RUNS", "10"));
    int warmup = 2;
    int concurrent = 100;
    Path results = Path.of(System.getenv().getOrDefault("FAASTER_BENCH_RESULTS", "bench/results"));
    Path data = Files.createTempDirectory("faaster-bench-cache");
    Random random = new Random(42);

    Map<String, List<Double>> acquireMs = new LinkedHashMap<>();
    List<Double> l2ServeMiBps = new ArrayList<>();
    List<Double> l2ServeMs = new ArrayList<>();
    List<Double> l2ServeJdkMiBps = new ArrayList<>();
    Map<String, Object> concurrency = new LinkedHashMap<>();
    try (CacheOrigin origin = new CacheOrigin(data.resolve("origin"));
        ZoneCacheUnderTest zone = new ZoneCacheUnderTest(data.resolve("l2"), origin)) {
      String tenant = zone.tenant("bench");
      Map<Integer, String> digests = new LinkedHashMap<>();
      for (int mib : new int[] {1, 50}) {
        byte[] bytes = new byte[mib * MIB];
        random.nextBytes(bytes);
        String sha256 = origin.put(bytes);
        zone.published(tenant, sha256, bytes.length);
        digests.put(mib, sha256);
      }
      System.out.printf("origin %s, zone cache %s, data under %s%n", origin.properties().get("faaster.object-store.endpoint"),
          zone.url(), data);
      ZoneCacheTier l2 = new ZoneCacheTier(zone.url(), ZoneCacheUnderTest.NODE_TOKEN, Duration.ofSeconds(2), Duration.ofSeconds(60));
      OriginTier originTier = new OriginTier(origin.store());
      int[] counter = {0};

      for (var package_ : digests.entrySet()) {
        int mib = package_.getKey();
        String sha256 = package_.getValue();
        String size = mib + "MiB";

        // Origin fetch: a fresh L1 with only the origin below it.
        List<Double> originMs = new ArrayList<>();
        for (int i = 0; i < warmup + fetchRuns; i++) {
          double ms = acquireOnFreshNode(data, counter, List.of(originTier), tenant, sha256, OriginTier.NAME);
          if (i >= warmup) {
            originMs.add(ms);
          }
        }
        // L2 hit: fill the zone cache once, then a fresh L1 each run.
        acquireOnFreshNode(data, counter, List.of(l2, originTier), tenant, sha256, ZoneCacheTier.NAME);
        List<Double> l2Ms = new ArrayList<>();
        for (int i = 0; i < warmup + fetchRuns; i++) {
          double ms = acquireOnFreshNode(data, counter, List.of(l2, originTier), tenant, sha256, ZoneCacheTier.NAME);
          if (i >= warmup) {
            l2Ms.add(ms);
          }
        }
        // L1 hit: one node that has the package; every acquire finds it.
        List<Double> l1Ms = new ArrayList<>();
        Path dir = data.resolve("l1-" + counter[0]++);
        try (NodeCodeCache node = openNode(dir, List.of(l2, originTier))) {
          node.acquire(tenant, sha256).close();
          for (int i = 0; i < 20 + l1Runs; i++) {
            long t0 = System.nanoTime();
            Lease lease = node.acquire(tenant, sha256);
            long t1 = System.nanoTime();
            lease.close();
            require(lease, NodeCodeCache.L1);
            if (i >= 20) {
              l1Ms.add((t1 - t0) / 1e6);
            }
          }
        }
        deleteTree(dir);
        acquireMs.put("l1_hit_" + size, l1Ms);
        acquireMs.put("l2_hit_" + size, l2Ms);
        acquireMs.put("origin_fetch_" + size, originMs);
        System.out.printf("  %s: l1 p50 %.3f ms, l2 p50 %.1f ms, origin p50 %.1f ms%n", size,
            Percentiles.percentile(l1Ms, 50), Percentiles.percentile(l2Ms, 50), Percentiles.percentile(originMs, 50));
      }

      // L2 serving throughput: GET of the 50 MiB package from the warm zone cache through the node's
      // own L2 client (ZoneCacheTier), bytes discarded; beside it the same GET read with the JDK's
      // java.net.http.HttpClient, the client ZoneCacheTier used before (for comparison only).
      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      URI url = URI.create(zone.url().toString().replaceAll("/$", "") + "/v1/packages/" + digests.get(50));
      byte[] buffer = new byte[NODE_READ_BYTES];
      for (int round = 0; round < warmup + fetchRuns; round++) {
        long t0 = System.nanoTime();
        long bytes = 0;
        try (InputStream body = l2.open(tenant, digests.get(50)).orElseThrow()) {
          int n;
          while ((n = body.read(buffer)) != -1) {
            bytes += n;
          }
        }
        long t1 = System.nanoTime();
        HttpRequest request = HttpRequest.newBuilder(url)
            .header("Authorization", "Bearer " + ZoneCacheUnderTest.NODE_TOKEN)
            .header(ZoneCacheTier.TENANT_HEADER, tenant).GET().build();
        long t2 = System.nanoTime();
        HttpResponse<InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
        long jdkBytes = 0;
        try (InputStream body = response.body()) {
          int n;
          while ((n = body.read(buffer)) != -1) {
            jdkBytes += n;
          }
        }
        long t3 = System.nanoTime();
        if (bytes != 50L * MIB || response.statusCode() != 200 || jdkBytes != 50L * MIB) {
          throw new IllegalStateException("zone cache sent " + bytes + " bytes; answered the JDK client "
              + response.statusCode() + " with " + jdkBytes + " bytes");
        }
        if (round >= warmup) {
          double seconds = (t1 - t0) / 1e9;
          l2ServeMs.add(seconds * 1000);
          l2ServeMiBps.add(bytes / (double) MIB / seconds);
          l2ServeJdkMiBps.add(jdkBytes / (double) MIB / ((t3 - t2) / 1e9));
        }
      }

      // 100 concurrent acquires of one package on a cold node.
      for (int mib : new int[] {1, 50}) {
        CountingTier countedOrigin = new CountingTier(originTier);
        Map<String, Object> run = concurrentAcquires(data, counter, List.of(countedOrigin), tenant, digests.get(mib), concurrent);
        run.put("origin_gets", countedOrigin.opens());
        concurrency.put("l1_origin_" + mib + "MiB", run);
        System.out.printf("  %d concurrent acquires of %d MiB, cold L1 -> origin: %d origin GET(s)%n", concurrent, mib,
            countedOrigin.opens());
      }
      {
        byte[] bytes = new byte[MIB];
        random.nextBytes(bytes);
        String sha256 = origin.put(bytes);
        zone.published(tenant, sha256, bytes.length);
        CountingTier countedL2 = new CountingTier(l2);
        CountingTier countedOrigin = new CountingTier(originTier);
        long l2OriginBefore = zone.originFetches();
        Map<String, Object> run =
            concurrentAcquires(data, counter, List.of(countedL2, countedOrigin), tenant, sha256, concurrent);
        long l2Origin = zone.originFetches() - l2OriginBefore;
        run.put("node_l2_gets", countedL2.opens());
        run.put("node_origin_gets", countedOrigin.opens());
        run.put("l2_origin_gets", l2Origin);
        run.put("origin_gets", countedOrigin.opens() + l2Origin);
        concurrency.put("l1_cold_l2_origin_1MiB", run);
        System.out.printf("  %d concurrent acquires of 1 MiB, cold L1 -> cold L2 -> origin: %d L2 GET(s), %d origin GET(s)%n",
            concurrent, countedL2.opens(), countedOrigin.opens() + l2Origin);
      }

      // Trace replay.
      CacheTraceSimulation.Params params = new CacheTraceSimulation.Params(42, 50, 5, 20, 1.0, 1.0, MIB, 64L * MIB,
          100_000, 4, 0.30, Duration.ofMillis(50), Duration.ofMinutes(10));
      CacheTraceSimulation simulation = new CacheTraceSimulation(params);
      long simStart = System.nanoTime();
      CacheTraceSimulation.Result without = simulation.run(false);
      CacheTraceSimulation.Result with = simulation.run(true);
      double simSeconds = (System.nanoTime() - simStart) / 1e9;

      JsonMapper json = zone.context().getBean(JsonMapper.class);
      Map<String, Object> trace = new LinkedHashMap<>(params.describe());
      trace.put("packages", simulation.packageCount());
      trace.put("packagesMiB", simulation.totalBytes() >> 20);
      trace.put("l1BoundPerNodeMiB", simulation.l1BoundBytes() >> 20);
      BenchmarkReport report = new BenchmarkReport("cache")
          .parameter("l1HitRuns", l1Runs)
          .parameter("fetchRuns", fetchRuns)
          .parameter("warmupRuns", warmup)
          .parameter("packageBytes", List.of(MIB, 50 * MIB))
          .parameter("boundary", "NodeCodeCache.acquire called -> Lease returned (package verified by sha256, fsynced and renamed into L1; lease closed outside the clock)")
          .parameter("origin", "embedded S3 server (S3Proxy, filesystem blob store) on 127.0.0.1")
          .parameter("l2", "zone-cache Micronaut context in this JVM, Netty HTTP over 127.0.0.1, H2 registry in memory")
          .parameter("l1", "NodeCodeCache on a temporary directory, scrub and prefetch off; a fresh directory for each l2/origin run")
          .parameter("l2ServeBoundary", "ZoneCacheTier.open (the node's L2 client: HTTP GET over HttpURLConnection) -> last byte read into a 256 KiB buffer, 50 MiB, warm zone cache, body discarded")
          .parameter("l2ServeJdkHttpClientBoundary", "the same GET with java.net.http.HttpClient (BodyHandlers.ofInputStream), for comparison")
          .parameter("concurrentAcquires", concurrent)
          .parameter("trace", trace);
      Map<String, Object> acquire = new LinkedHashMap<>();
      acquireMs.forEach((key, values) -> acquire.put(key, Percentiles.summary(values)));
      report.figure("acquire_ms", acquire);
      report.figure("l2_serve_50MiB_MiB_per_s", Percentiles.summary(l2ServeMiBps));
      report.figure("l2_serve_50MiB_ms", Percentiles.summary(l2ServeMs));
      report.figure("l2_serve_50MiB_jdk_httpclient_MiB_per_s", Percentiles.summary(l2ServeJdkMiBps));
      Map<String, Object> nodeL2 = new LinkedHashMap<>();
      nodeL2.put("p50", Percentiles.round(50.0 / (Percentiles.percentile(acquireMs.get("l2_hit_50MiB"), 50) / 1000)));
      report.figure("l2_hit_acquire_50MiB_MiB_per_s", nodeL2);
      report.figure("concurrent_acquires", concurrency);
      Map<String, Object> traceFigures = new LinkedHashMap<>();
      traceFigures.put("without_prefetch", without.describe());
      traceFigures.put("with_prefetch", with.describe());
      traceFigures.put("simulation_seconds", Percentiles.round(simSeconds));
      report.figure("trace", traceFigures);
      Path file = report.write(json, results);

      System.out.println();
      System.out.printf("cache benchmark (L1 hit: %d runs; L2 hit, origin: %d runs after %d warm-up)%n", l1Runs, fetchRuns, warmup);
      System.out.printf("  %-34s %10s %10s%n", "time until usable (acquire)", "p50 ms", "p99 ms");
      for (String size : List.of("1MiB", "50MiB")) {
        for (String tier : List.of("l1_hit_", "l2_hit_", "origin_fetch_")) {
          List<Double> values = acquireMs.get(tier + size);
          System.out.printf("  %-34s %10.3f %10.3f%n", tier + size, Percentiles.percentile(values, 50), Percentiles.percentile(values, 99));
        }
      }
      System.out.printf("  L2 serving 50 MiB over loopback: p50 %.0f MiB/s (min %.0f; JDK HttpClient p50 %.0f); node L2-hit acquire %.0f MiB/s%n",
          Percentiles.percentile(l2ServeMiBps, 50), l2ServeMiBps.stream().mapToDouble(Double::doubleValue).min().orElse(0),
          Percentiles.percentile(l2ServeJdkMiBps, 50), nodeL2.get("p50"));
      concurrency.forEach((key, value) -> System.out.printf("  %d concurrent, %-26s origin GETs: %s%n", concurrent, key,
          ((Map<?, ?>) value).get("origin_gets")));
      System.out.printf("  trace (%d invocations, %d packages, %d nodes, L1 %d MiB each):%n", params.invocations(),
          simulation.packageCount(), params.nodes(), simulation.l1BoundBytes() >> 20);
      System.out.printf("    %-18s L1 %.2f%%  L1+L2 %.2f%%%n", "without prefetch", 100 * without.l1HitRate(), 100 * without.l1l2HitRate());
      System.out.printf("    %-18s L1 %.2f%%  L1+L2 %.2f%%%n", "with prefetch", 100 * with.l1HitRate(), 100 * with.l1l2HitRate());
      System.out.println("wrote " + file);
    } finally {
      deleteTree(data);
    }
    System.exit(0);
  }

  private static NodeCodeCache openNode(Path dir, List<CodeTier> tiers) throws IOException {
    L1Settings settings = new L1Settings(dir, 8L << 30, Duration.ZERO, 0, Duration.ZERO);
    return NodeCodeCache.open(settings, tiers, ActivePackages.NONE, new SimpleMeterRegistry(), Clock.systemUTC());
  }

  /** Opens a node on a fresh L1 directory, times one acquire, closes and deletes it. */
  private static double acquireOnFreshNode(Path data, int[] counter, List<CodeTier> tiers, String tenant, String sha256,
      String expectedSource) throws IOException {
    Path dir = data.resolve("l1-" + counter[0]++);
    double ms;
    try (NodeCodeCache node = openNode(dir, tiers)) {
      long t0 = System.nanoTime();
      Lease lease = node.acquire(tenant, sha256);
      long t1 = System.nanoTime();
      lease.close();
      require(lease, expectedSource);
      ms = (t1 - t0) / 1e6;
    }
    deleteTree(dir);
    return ms;
  }

  private static Map<String, Object> concurrentAcquires(Path data, int[] counter, List<CodeTier> tiers, String tenant,
      String sha256, int concurrent) throws Exception {
    Path dir = data.resolve("l1-" + counter[0]++);
    Map<String, Object> run = new LinkedHashMap<>();
    ExecutorService pool = Executors.newFixedThreadPool(concurrent);
    try (NodeCodeCache node = openNode(dir, tiers)) {
      CountDownLatch ready = new CountDownLatch(concurrent);
      CountDownLatch go = new CountDownLatch(1);
      List<Future<Lease>> futures = new ArrayList<>();
      for (int i = 0; i < concurrent; i++) {
        futures.add(pool.submit(() -> {
          ready.countDown();
          go.await();
          return node.acquire(tenant, sha256);
        }));
      }
      ready.await();
      long t0 = System.nanoTime();
      go.countDown();
      List<Double> ms = new ArrayList<>();
      Map<String, Integer> sources = new LinkedHashMap<>();
      for (Future<Lease> future : futures) {
        Lease lease = future.get();
        ms.add(lease.elapsed().toNanos() / 1e6);
        sources.merge(lease.source(), 1, Integer::sum);
        lease.close();
      }
      run.put("all_done_ms", Percentiles.round((System.nanoTime() - t0) / 1e6));
      run.put("acquire_ms", Percentiles.summary(ms));
      run.put("lease_sources", sources);
    } finally {
      pool.shutdownNow();
    }
    deleteTree(dir);
    return run;
  }

  private static void require(Lease lease, String source) {
    if (!source.equals(lease.source())) {
      throw new IllegalStateException("expected a lease from " + source + ", got " + lease);
    }
  }

  private static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}

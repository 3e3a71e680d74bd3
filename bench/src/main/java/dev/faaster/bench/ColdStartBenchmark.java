package dev.faaster.bench;

import dev.faaster.api.invoke.TemporalColdStarter;
import dev.faaster.registry.InstanceRecord;
import dev.faaster.registry.InstanceRepository;
import dev.faaster.vm.CloneFactory;
import dev.faaster.vm.DomainRef;
import dev.faaster.vm.Hypervisor;
import io.micronaut.json.JsonMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream;

/**
 * {@code ./faaster bench coldstart}: what a user waits for on the first request. Side by side in
 * one run, both runtimes, through the real HTTP API of the whole platform in this JVM (api, worker
 * and node roles; real Temporal, libvirt/QEMU, embedded S3, H2):
 *
 * <ul>
 *   <li>a cold start with a full VM boot (function with {@code snapStart: false}),
 *   <li>a cold start restoring the runtime's template,
 *   <li>a warm invocation: of an instance serving invocations back to back on a quiet node (no cold
 *       start or clone refill running beside it), and, apart, the invocations right after a cold
 *       start, which share the cores with the clone pool's refill,
 * </ul>
 *
 * <p>each end to end at the HTTP client, curl in its own process ({@link CurlLoop}: request sent →
 * whole answer read), with the stage
 * breakdown the API returns. An instance is made cold again by the keep-alive reaper (keep-alive
 * 1 s here). Then the scheduler's placements per second against a filter-and-score scheduler
 * ({@link SchedulerBenchmark}) and, unless {@code FAASTER_BENCH_CONTROL_PLANE=false}, 10,000
 * instances through the real workflows against libvirt's test driver ({@link ControlPlaneBenchmark}).
 */
public final class ColdStartBenchmark {

  private static final List<String> RUNTIMES = List.of("python3", "provided");
  /** Instance states that still hold a VM. */
  private static final List<String> LIVE_STATES = List.of(InstanceRecord.STARTING, InstanceRecord.READY);
  private static final String[] STAGES = {"schedule", "vm", "code", "network", "load", "total"};
  /**
   * Unmeasured warm invocations before the back-to-back series: the server's JIT compiles the
   * invocation path over a few thousand requests (500: python3 p50 5.4-5.7 ms; 3,000: 4.6 ms).
   * Fixed, as JMH's warm-up iterations: stopping when a batch is no faster than the last stopped
   * after 500 on a noisy run.
   */
  private static final int JIT_WARMUP = intEnv("FAASTER_BENCH_WARM_WARMUP", 3000);

  public static void main(String[] args) throws Exception {
    String temporal = System.getenv().getOrDefault("FAASTER_BENCH_TEMPORAL_ADDRESS", "127.0.0.1:7253");
    int restoreRuns = intEnv("FAASTER_BENCH_RESTORE_RUNS", 20);
    int bootRuns = intEnv("FAASTER_BENCH_BOOT_RUNS", 10);
    int warmPerCold = intEnv("FAASTER_BENCH_WARM_PER_COLD", 10);
    int steadyWarmRuns = intEnv("FAASTER_BENCH_WARM_RUNS", 200);
    boolean controlPlane = !"false".equals(System.getenv("FAASTER_BENCH_CONTROL_PLANE"));
    Path results = Path.of(System.getenv().getOrDefault("FAASTER_BENCH_RESULTS", "bench/results"));
    Path repository = Path.of(System.getenv().getOrDefault("FAASTER_ROOT", ".")).toAbsolutePath();
    Path data = Files.createTempDirectory("faaster-bench-coldstart");
    byte[] random = new byte[3];
    new SecureRandom().nextBytes(random);
    String hex = HexFormat.of().formatHex(random);
    // bench-faaster-*: the platform's own reconcilers (faaster-<node>-*) leave these alone.
    String prefix = "bench-faaster-cs" + hex + "-";
    Path runDir = Path.of("/tmp/fcs-" + hex);
    Path shmDir = Path.of("/dev/shm/faaster-bench-cs-" + hex);

    Map<String, Object> node = new HashMap<>();
    node.put("faaster.node.id", "bench-" + hex);
    node.put("faaster.node.runtimes", String.join(",", RUNTIMES));
    node.put("faaster.node.image-builder", repository.resolve("infra/guest/build-image.sh").toString());
    node.put("faaster.node.images-dir", repository.resolve(".data/images").toString());
    node.put("faaster.node.reconcile-interval", "1h");
    node.put("faaster.vm.name-prefix", prefix);
    node.put("faaster.vm.run-dir", runDir.toString());
    node.put("faaster.vm.shm-dir", shmDir.toString());
    node.put("faaster.vm.boot-timeout", "240s");
    node.put("faaster.code-cache.l1.directory", data.resolve("l1").toString());
    // FAASTER_BENCH_CODE_SHARE=false: packages inline in LOAD_CODE instead of read in place.
    node.put("faaster.vm.share-dir", Boolean.parseBoolean(System.getenv().getOrDefault("FAASTER_BENCH_CODE_SHARE", "true"))
        ? data.resolve("l1").resolve("shares").toString() : "");
    node.put("faaster.invocations.keep-alive", "1s");
    node.put("faaster.invocations.reap-interval", "200ms");
    node.put("faaster.invocations.cold-start-wait", "180s");

    System.out.printf("coldstart benchmark: %d restore and %d boot cold starts per runtime, %d warm after each,"
        + " %d warm back to back%n", restoreRuns, bootRuns, warmPerCold, steadyWarmRuns);
    BenchmarkReport report = new BenchmarkReport("coldstart")
        .parameter("restore_runs", restoreRuns)
        .parameter("boot_runs", bootRuns)
        .parameter("warm_per_cold", warmPerCold)
        .parameter("warm_runs", steadyWarmRuns)
        .parameter("keep_alive", "1s")
        .parameter("boundary", "HTTP request sent -> whole answer read, by curl (its time_total) on 127.0.0.1,"
            + " one keep-alive connection per series")
        .parameter("warm_jit_warmup_requests", JIT_WARMUP);
    Map<String, Object> summary = new LinkedHashMap<>();
    JsonMapper json;
    try (PlatformUnderTest platform = new PlatformUnderTest(data, temporal, "api,worker,node", node)) {
      json = platform.context().getBean(JsonMapper.class);
      Bench bench = new Bench(platform, json, "bench-" + hex, data);
      System.out.println("waiting for the node's templates (built on start, progress in the log)...");
      bench.awaitReady();
      for (String runtime : RUNTIMES) {
        Map<String, Object> figures = new LinkedHashMap<>();
        String restoreFn = bench.deploy("restore-" + runtime, runtime, true);
        String bootFn = bench.deploy("boot-" + runtime, runtime, false);
        Series restore = new Series();
        Series restoreOnPath = new Series();
        Series restorePerStep = new Series();
        Series warmAfterCold = new Series();
        Series warm = new Series();
        Series boot = new Series();
        // Interleaved, so load on the machine falls on all alike. The platform restores clones
        // ahead of demand (faaster.vm.restore-ahead); the same node with it off restores on the
        // cold path, side by side. And the router places cold starts on the node, whose worker runs
        // the steps as local activities (faaster.invocations.place-on-node); with it off the
        // workflow runs on the control queue and dispatches one activity per node step.
        int rounds = Math.max(restoreRuns, bootRuns);
        for (int i = 0; i < rounds; i++) {
          if (i < restoreRuns) {
            bench.clones.restoreAhead(true);
            bench.coldThenWarm(restoreFn, restore, warmAfterCold, warmPerCold);
            bench.clones.restoreAhead(false);
            bench.coldThenWarm(restoreFn, restoreOnPath, null, 0);
            bench.clones.restoreAhead(true);
            bench.starter.placeOnNode(false);
            bench.coldThenWarm(restoreFn, restorePerStep, null, 0);
            bench.starter.placeOnNode(true);
          }
          if (i < bootRuns) {
            bench.coldThenWarm(bootFn, boot, null, 0);
          }
          System.out.printf("  %s round %d/%d: restore cold p50 %.1f ms (on the path %.1f ms, an activity per step"
              + " %.1f ms), boot cold p50 %.1f ms, warm after cold p50 %.2f ms%n", runtime, i + 1, rounds,
              restore.p50(), restoreOnPath.p50(), restorePerStep.p50(), boot.p50(), warmAfterCold.p50());
        }
        bench.backToBack(restoreFn, warm, steadyWarmRuns);
        System.out.printf("  %s: %d warm back to back (after %d to warm the JIT up), p50 %.2f ms%n", runtime,
            warm.millis.size(), JIT_WARMUP, warm.p50());
        figures.put("restore_cold_start_ms", restore.summary());
        figures.put("restore_on_path_cold_start_ms", restoreOnPath.summary());
        figures.put("restore_activity_per_step_cold_start_ms", restorePerStep.summary());
        figures.put("boot_cold_start_ms", boot.summary());
        figures.put("warm_ms", Percentiles.summary(warm.millis));
        figures.put("warm_after_cold_ms", Percentiles.summary(warmAfterCold.millis));
        figures.put("boot_to_restore_ratio_p50", Percentiles.round(boot.p50() / restore.p50()));
        report.figure(runtime, figures);
        summary.put(runtime, new double[] {restore.p50(), restore.p99(), boot.p50(), boot.p99(), warm.p50(), warm.p99(),
            restoreOnPath.p50(), restoreOnPath.p99(), restorePerStep.p50(), restorePerStep.p99(), warmAfterCold.p50()});
        System.out.printf("%s: restore stages p50 %s; restored on the path %s; an activity per step %s%n", runtime,
            restore.stagesP50(), restoreOnPath.stagesP50(), restorePerStep.stagesP50());
      }
      // The last instances' retirements may still be in flight, and the pool's clones are left
      // running by design when the platform closes: this run's domains (its own prefix) go here.
      Hypervisor hypervisor = platform.context().getBean(Hypervisor.class);
      platform.context().getBean(CloneFactory.class).close();
      for (DomainRef domain : hypervisor.list(prefix)) {
        hypervisor.destroy(domain.name());
      }
    } finally {
      deleteTree(runDir);
      deleteTree(shmDir);
    }

    System.out.println("scheduler: placements per second, 100,000 slots...");
    SchedulerBenchmark.Figures scheduler = SchedulerBenchmark.measure();
    report.figure("scheduler", scheduler.asMap());

    ControlPlaneBenchmark.Figures plane = null;
    if (controlPlane) {
      System.out.println("control plane: instances through the real workflows against libvirt's test driver...");
      ControlPlaneBenchmark.Results planes =
          ControlPlaneBenchmark.measure(temporal, ControlPlaneBenchmark.Settings.fromEnvironment());
      report.figure("control_plane", planes.toMap());
      plane = planes.headline();
    }
    Path file = report.write(json, results);

    System.out.println();
    System.out.println("coldstart benchmark (end to end through the HTTP API, TCG)");
    System.out.printf("  %-10s %22s %22s %22s %22s %18s %16s %8s%n", "runtime", "restore cold p50/p99", "(restore on path)",
        "(activity per step)", "boot cold p50/p99", "warm p50/p99", "(after cold p50)", "boot/rst");
    for (var e : summary.entrySet()) {
      double[] v = (double[]) e.getValue();
      System.out.printf("  %-10s %13.1f / %6.1f ms %13.1f / %6.1f ms %13.1f / %6.1f ms %13.1f / %6.1f ms"
              + " %9.2f / %5.2f ms %13.2f ms %8.0f%n", e.getKey(),
          v[0], v[1], v[6], v[7], v[8], v[9], v[2], v[3], v[4], v[5], v[10], v[2] / v[0]);
    }
    System.out.printf("  scheduler: %,.0f placements/s (slots) vs %,.0f/s (filter and score)%n",
        scheduler.slotP50(), scheduler.filterScoreP50());
    if (plane != null) {
      System.out.printf("  control plane (%s): %d of %d instances ready in %.1f s (%.0f/s; 10,000 would take %.1f s)%n",
          plane.mode(), plane.ready(), plane.instances(), plane.upSeconds(), plane.instancesPerSecond(),
          10_000 / plane.instancesPerSecond());
    }
    System.out.println("  written to " + file);
    // A library thread outlives the closed platform (a non-daemon scheduled pool); the run is over.
    System.exit(0);
  }

  /** Latencies of one kind of invocation and, for cold starts, their stage breakdowns. */
  static final class Series {
    final List<Double> millis = new ArrayList<>();
    final Map<String, List<Double>> stages = new LinkedHashMap<>();

    void add(double ms, Map<String, Double> stageMillis) {
      millis.add(ms);
      stageMillis.forEach((k, v) -> stages.computeIfAbsent(k, x -> new ArrayList<>()).add(v));
    }

    double p50() {
      return millis.isEmpty() ? Double.NaN : Percentiles.percentile(millis, 50);
    }

    double p99() {
      return millis.isEmpty() ? Double.NaN : Percentiles.percentile(millis, 99);
    }

    Map<String, Object> summary() {
      Map<String, Object> m = new LinkedHashMap<>(Percentiles.summary(millis));
      m.put("stages_p50_ms", stagesP50());
      return m;
    }

    Map<String, Double> stagesP50() {
      Map<String, Double> m = new LinkedHashMap<>();
      stages.forEach((k, v) -> m.put(k, Percentiles.round(Percentiles.percentile(v, 50))));
      return m;
    }
  }

  /** The HTTP side: a tenant, its functions, invocations. */
  private static final class Bench {
    private final PlatformUnderTest platform;
    private final JsonMapper json;
    private final String token;
    /** The node's clone factory: the benchmark turns restoring ahead on and off. */
    final CloneFactory clones;
    /** The router's cold starter: the benchmark turns placement on the node on and off. */
    final TemporalColdStarter starter;
    private final InstanceRepository instances;
    private final String nodeId;

    /** Where curl's request lists go (they hold the token; deleted after each run). */
    private final Path workDir;

    Bench(PlatformUnderTest platform, JsonMapper json, String nodeId, Path workDir) throws Exception {
      this.platform = platform;
      this.workDir = workDir;
      this.nodeId = nodeId;
      this.instances = platform.context().getBean(InstanceRepository.class);
      this.json = json;
      this.clones = platform.context().getBean(CloneFactory.class);
      this.starter = platform.context().getBean(TemporalColdStarter.class);
      String tenant = field(platform.send("POST", "/v1/tenants", platform.adminToken(), "application/json",
          ("{\"name\":\"bench-cs-" + System.currentTimeMillis() + "\"}").getBytes()).body(), "id");
      this.token = field(platform.send("POST", "/v1/tenants/" + tenant + "/tokens", platform.adminToken(),
          "application/json", "{\"description\":\"bench\"}".getBytes()).body(), "token");
    }

    /** Until a throwaway function of each runtime answers: templates built, node registered. */
    void awaitReady() throws Exception {
      for (String runtime : RUNTIMES) {
        String fn = deploy("probe-" + runtime, runtime, true);
        long deadline = System.nanoTime() + 600_000_000_000L;
        while (true) {
          HttpResponse<String> r = invoke(fn, "\"probe\"");
          if (r.statusCode() == 200 && r.headers().firstValue("X-Faaster-Function-Error").isEmpty()) {
            System.out.printf("  %s: ready (%s)%n", runtime, r.headers().firstValue("Server-Timing").orElse(""));
            break;
          }
          if (System.nanoTime() > deadline) {
            throw new IllegalStateException(runtime + " never answered: " + r.statusCode() + " " + r.body());
          }
          Thread.sleep(2000);
        }
      }
      Thread.sleep(1500); // the probes' instances reaped: they would compete for the CPU
    }

    String deploy(String name, String runtime, boolean snapStart) throws Exception {
      String handler = runtime.equals("python3") ? "\"main.handler\"" : "null";
      String body = "{\"name\":\"" + name + "\",\"runtime\":\"" + runtime + "\",\"handler\":" + handler
          + ",\"memoryMb\":128,\"timeoutSeconds\":30,\"snapStart\":" + snapStart + "}";
      platform.send("POST", "/v1/functions", token, "application/json", body.getBytes());
      byte[] zip = runtime.equals("python3")
          ? zip("main.py", "# " + UUID.randomUUID() + "\ndef handler(event, context):\n    return {'echo': event}\n", 0644)
          : zip("bootstrap", "#!/bin/sh\n# " + UUID.randomUUID() + "\ncat\n", 0755);
      platform.send("PUT", "/v1/functions/" + name + "/code", token, "application/zip", zip);
      platform.send("POST", "/v1/functions/" + name + "/versions?wait=true", token, "application/json", "{}".getBytes());
      return name;
    }

    /**
     * Waits until the function has no warm instance and the node's clone pool is refilled, then one
     * cold invocation and {@code warmRuns} warm ones.
     */
    void coldThenWarm(String fn, Series cold, Series warm, int warmRuns) throws Exception {
      Thread.sleep(1500); // keep-alive 1 s + reap interval 200 ms: the last instance is retired
      // The steady state the pool is for: cold starts further apart than one refill (a restore and
      // its warm-up, about a second here). A burst that drains the pool restores on the cold path,
      // which restore_on_path_cold_start_ms measures.
      // And the last instance's VM destroyed: tearing a QEMU down competes for the 2 cores too.
      for (long deadline = System.nanoTime() + 60_000_000_000L; System.nanoTime() < deadline; ) {
        if (!clones.refilling() && instances.findByNodeIdAndStateInList(nodeId, LIVE_STATES).isEmpty()) {
          break;
        }
        Thread.sleep(50);
      }
      // One client for the cold invocation and the warm ones right after it, as a user's would be.
      List<CurlLoop.Answer> answers = curl(fn, 1 + warmRuns);
      CurlLoop.Answer first = answers.get(0);
      if (!first.cold()) {
        System.out.printf("  %s: expected a cold start, got a warm instance; not counted%n", fn);
        return;
      }
      cold.add(first.millis(), stagesOf(first.serverTiming()));
      addWarm(warm, answers.subList(1, answers.size()));
    }

    /**
     * Warm latency proper: {@code runs} invocations back to back on one instance, on a quiet node.
     * Waits for the pool's refill first, and lets invocations go unmeasured: the first may be a
     * cold start (the instance retired meanwhile), the first ones on a fresh instance translate the
     * guest's invocation path under TCG once, and the server's JIT needs some hundreds.
     */
    void backToBack(String fn, Series warm, int runs) throws Exception {
      for (int i = 0; i < 5; i++) {
        check(fn, invoke(fn, "\"settle\""));
      }
      // Invoked meanwhile, so that the keep-alive (1 s here) doesn't retire the instance while a
      // refill (about a second) runs.
      for (long deadline = System.nanoTime() + 60_000_000_000L; System.nanoTime() < deadline && clones.refilling(); ) {
        check(fn, invoke(fn, "\"settle\""));
        Thread.sleep(250);
      }
      // A server that has run a while has compiled its invocation path. Not measured.
      curl(fn, JIT_WARMUP);
      addWarm(warm, curl(fn, runs));
    }

    /** The answers that came from a warm instance, into {@code warm} (none when it is null). */
    private static void addWarm(Series warm, List<CurlLoop.Answer> answers) {
      for (CurlLoop.Answer a : answers) {
        if (warm != null && !a.cold()) {
          warm.add(a.millis(), Map.of());
        }
      }
    }

    /** {@code count} invocations of {@code fn} back to back through curl; every one must succeed. */
    private List<CurlLoop.Answer> curl(String fn, int count) throws Exception {
      URI url = platform.base().resolve("/v1/functions/" + fn + "/invocations");
      List<CurlLoop.Answer> answers = CurlLoop.post(url, token, "\"bench\"", count, workDir);
      for (CurlLoop.Answer a : answers) {
        if (a.status() != 200 || a.functionError()) {
          throw new IllegalStateException(fn + " answered " + a.status() + (a.functionError() ? " (function error)" : ""));
        }
      }
      return answers;
    }

    private HttpResponse<String> invoke(String fn, String event) throws Exception {
      return platform.exchange("POST", "/v1/functions/" + fn + "/invocations", token, "application/json",
          event.getBytes(StandardCharsets.UTF_8));
    }

    private static void check(String fn, HttpResponse<String> r) {
      if (r.statusCode() != 200 || r.headers().firstValue("X-Faaster-Function-Error").isPresent()) {
        throw new IllegalStateException(fn + " answered " + r.statusCode() + ": " + r.body());
      }
    }

    private String field(String body, String name) throws IOException {
      return json.readValue(body, Map.class).get(name).toString();
    }
  }

  /** {@code schedule;dur=3, vm;dur=41, ...} → {schedule=3.0, vm=41.0, ...}. */
  static Map<String, Double> stagesOf(String serverTiming) {
    Map<String, Double> m = new LinkedHashMap<>();
    for (String part : serverTiming.split(",")) {
      String[] kv = part.trim().split(";dur=");
      if (kv.length == 2) {
        m.put(kv[0].trim(), Double.parseDouble(kv[1].trim()));
      }
    }
    return m;
  }

  /** With a Unix mode (java.util.zip can't write one): a bootstrap must arrive executable. */
  static byte[] zip(String name, String content, int mode) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ZipArchiveOutputStream zip = new ZipArchiveOutputStream(bytes)) {
      ZipArchiveEntry entry = new ZipArchiveEntry(name);
      entry.setUnixMode(0100000 | mode);
      zip.putArchiveEntry(entry);
      zip.write(content.getBytes(StandardCharsets.UTF_8));
      zip.closeArchiveEntry();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  private static int intEnv(String name, int fallback) {
    String v = System.getenv(name);
    return v == null || v.isBlank() ? fallback : Integer.parseInt(v.trim());
  }

  private static void deleteTree(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (var walk = Files.walk(dir)) {
      walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // best effort: the directory names are unique per run
    }
  }
}

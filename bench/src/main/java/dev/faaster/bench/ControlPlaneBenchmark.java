package dev.faaster.bench;

import dev.faaster.activities.BatchRunner;
import dev.faaster.activities.FaultInjection;
import dev.faaster.activities.code.BatchCodeActivitiesImpl;
import dev.faaster.activities.code.CachedCodeActivities;
import dev.faaster.activities.route.BatchRouteActivitiesImpl;
import dev.faaster.activities.route.DirectRouteActivities;
import dev.faaster.activities.schedule.BatchSlotActivitiesImpl;
import dev.faaster.activities.schedule.NodeRegistration;
import dev.faaster.activities.schedule.NodeSlotsConfiguration;
import dev.faaster.activities.schedule.SlotActivitiesImpl;
import dev.faaster.activities.schedule.SlotTable;
import dev.faaster.activities.vm.BatchInstanceActivitiesImpl;
import dev.faaster.activities.vm.NodeConfiguration;
import dev.faaster.activities.vm.RegistryTemplateLookup;
import dev.faaster.codecache.ActivePackages;
import dev.faaster.codecache.L1Settings;
import dev.faaster.codecache.NodeCodeCache;
import dev.faaster.packagestore.Sha256;
import dev.faaster.registry.InstanceRecord;
import dev.faaster.registry.InstanceRepository;
import dev.faaster.registry.NodeRepository;
import dev.faaster.registry.SlotRepository;
import dev.faaster.registry.TemplateRecord;
import dev.faaster.registry.TemplateRepository;
import dev.faaster.vm.LibvirtHypervisor;
import dev.faaster.vm.VmSettings;
import dev.faaster.workflows.NodeTaskQueues;
import dev.faaster.workflows.TaskQueues;
import dev.faaster.workflows.coldstart.ColdStartRequest;
import dev.faaster.workflows.coldstart.ColdStartResult;
import dev.faaster.workflows.coldstart.ColdStartStages;
import dev.faaster.workflows.coldstart.ColdStartWorkflow;
import dev.faaster.workflows.coldstart.ColdStartWorkflowIds;
import dev.faaster.workflows.coldstart.ColdStartWorkflowImpl;
import dev.faaster.workflows.coldstart.ProvisionInstancesWorkflow;
import dev.faaster.workflows.coldstart.ProvisionInstancesWorkflowImpl;
import dev.faaster.workflows.coldstart.ProvisionRequest;
import dev.faaster.workflows.coldstart.ProvisionResult;
import dev.faaster.workflows.coldstart.ProvisionStages;
import dev.faaster.workflows.coldstart.ProvisionedInstance;
import dev.faaster.workflows.coldstart.RetireInstanceWorkflow;
import dev.faaster.workflows.coldstart.RetireInstanceWorkflowImpl;
import dev.faaster.workflows.coldstart.RetireInstancesRequest;
import dev.faaster.workflows.coldstart.RetireInstancesWorkflow;
import dev.faaster.workflows.coldstart.RetireInstancesWorkflowImpl;
import dev.faaster.workflows.coldstart.RetireRequest;
import dev.faaster.workflows.coldstart.StartMode;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micronaut.json.JsonMapper;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkerFactory;
import io.temporal.worker.WorkerFactoryOptions;
import io.temporal.worker.WorkerOptions;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * {@code ./faaster bench controlplane}: how fast the control plane brings instances up (the seed:
 * 10,000 instances in one second). Every instance goes through the real {@link
 * ColdStartWorkflowImpl} on the control task queue of a real Temporal server, with the real slot
 * reservation and template lookup as its control steps on an H2 registry, and on the node's own
 * task queue the real code step ({@link CachedCodeActivities}: one package preloaded into L1, so
 * every instance is an L1 hit), the real route step ({@link DirectRouteActivities}) and a VM step
 * that creates a real transient domain in libvirt's test driver ({@link
 * TestDriverInstanceActivities}: no QEMU, no guest). Then every instance is retired through {@link
 * RetireInstanceWorkflowImpl}, and the leak check counts what is left: test-driver domains, reserved
 * slots, pinned packages, live instance records.
 *
 * <p>Two modes, side by side in one run by default ({@code FAASTER_BENCH_CP_MODE=both}; {@code
 * single} or {@code batch} run one): {@code single} is one ColdStartWorkflow per instance (what a
 * cold request does); {@code batch} brings the instances up as provisioned concurrency does,
 * through {@link ProvisionInstancesWorkflowImpl} (up to 1,000 instances of one version per
 * workflow: one slot call, then one call per step on the node, each running the same per-instance
 * activity code through {@link BatchRunner}), and retires them through {@link
 * RetireInstancesWorkflowImpl}. In {@code both}, single runs a smaller wave (500) first.
 *
 * <p>{@link #measure} returns the figures (the coldstart benchmark embeds them); {@link #main}
 * prints them and writes bench/results/controlplane.json. Settings come from the environment: see
 * {@link Settings#fromEnvironment}.
 */
public final class ControlPlaneBenchmark {

  static final String NODE_ID = "cpbench";
  static final String RUNTIME = "provided";
  static final int MEMORY_MB = 128;

  private ControlPlaneBenchmark() {}

  /**
   * What the benchmark runs and how the workers are tuned.
   *
   * @param instances instances brought up (and retired) in the measured wave
   * @param warmup instances brought up and retired first, not measured (JIT, connections, caches)
   * @param inflight workflows (cold starts or retirements) running at once at most
   * @param starters client threads issuing the start calls
   * @param eagerStart eager workflow start: the start call's answer carries the first workflow task
   *     to this process's worker, saving a matching round trip
   * @param workflowTaskSlots the control worker's maxConcurrentWorkflowTaskExecutionSize
   * @param workflowPollers the control worker's workflow task pollers
   * @param localActivitySlots the control worker's maxConcurrentLocalActivityExecutionSize
   * @param activityPollers activity task pollers of each worker (control and node)
   * @param activitySlots maxConcurrentActivityExecutionSize of each worker (control and node)
   * @param workflowCacheSize the worker factory's sticky workflow cache
   * @param workflowThreads the worker factory's maxWorkflowThreadCount
   * @param mode {@code both}, {@code single} or {@code batch}
   * @param singleInstances the single mode's measured wave when both modes run
   * @param batchSize instances per provisioning (and retirement) workflow in batch mode
   * @param batchWarmup instances brought up and retired in batch mode first, not measured
   * @param batchParallelism the node's {@link BatchRunner} parallelism (faaster.node.batch-parallelism)
   */
  public record Settings(
      int instances,
      int warmup,
      int inflight,
      int starters,
      boolean eagerStart,
      int workflowTaskSlots,
      int workflowPollers,
      int localActivitySlots,
      int activityPollers,
      int activitySlots,
      int workflowCacheSize,
      int workflowThreads,
      String mode,
      int singleInstances,
      int batchSize,
      int batchWarmup,
      int batchParallelism) {

    public Settings {
      if (!List.of("both", "single", "batch").contains(mode)) {
        throw new IllegalArgumentException("FAASTER_BENCH_CP_MODE is both, single or batch, not " + mode);
      }
      if (batchSize < 1 || batchSize > ProvisionInstancesWorkflow.MAX_INSTANCES) {
        throw new IllegalArgumentException(
            "FAASTER_BENCH_CP_BATCH_SIZE is 1 to " + ProvisionInstancesWorkflow.MAX_INSTANCES + ", not " + batchSize);
      }
    }

    boolean runsSingle() {
      return !"batch".equals(mode);
    }

    boolean runsBatch() {
      return !"single".equals(mode);
    }

    /** The single mode's measured wave: all instances alone, a smaller wave beside the batch. */
    int singleWave() {
      return "both".equals(mode) ? Math.min(singleInstances, instances) : instances;
    }

    /**
     * From the environment: FAASTER_BENCH_INSTANCES (10000), FAASTER_BENCH_WARMUP (200), and the
     * tuning FAASTER_BENCH_CP_INFLIGHT, _STARTERS, _EAGER, _WFT_SLOTS, _WFT_POLLERS, _LA_SLOTS,
     * _ACT_POLLERS, _ACT_SLOTS, _CACHE, _THREADS (defaults: the best measured here, see
     * SPECIFICATION.md); the mode FAASTER_BENCH_CP_MODE (both), FAASTER_BENCH_CP_SINGLE_INSTANCES
     * (500, when both run), _BATCH_SIZE (1000), _BATCH_WARMUP (1000), _BATCH_PARALLELISM (8). With
     * both modes the single mode's warm-up defaults to 100.
     */
    public static Settings fromEnvironment() {
      int inflight = env("FAASTER_BENCH_CP_INFLIGHT", 50);
      String mode = System.getenv().getOrDefault("FAASTER_BENCH_CP_MODE", "both").trim();
      return new Settings(
          env("FAASTER_BENCH_INSTANCES", 10_000),
          env("FAASTER_BENCH_WARMUP", "both".equals(mode) ? 100 : 200),
          inflight,
          env("FAASTER_BENCH_CP_STARTERS", 16),
          Boolean.parseBoolean(System.getenv().getOrDefault("FAASTER_BENCH_CP_EAGER", "true")),
          env("FAASTER_BENCH_CP_WFT_SLOTS", 200),
          env("FAASTER_BENCH_CP_WFT_POLLERS", 8),
          env("FAASTER_BENCH_CP_LA_SLOTS", 200),
          env("FAASTER_BENCH_CP_ACT_POLLERS", 8),
          env("FAASTER_BENCH_CP_ACT_SLOTS", 400),
          env("FAASTER_BENCH_CP_CACHE", inflight + 200),
          env("FAASTER_BENCH_CP_THREADS", 4 * inflight + 800),
          mode,
          env("FAASTER_BENCH_CP_SINGLE_INSTANCES", 500),
          env("FAASTER_BENCH_CP_BATCH_SIZE", ProvisionInstancesWorkflow.MAX_INSTANCES),
          env("FAASTER_BENCH_CP_BATCH_WARMUP", 1_000),
          env("FAASTER_BENCH_CP_BATCH_PARALLELISM", 8));
    }

    private static int env(String name, int fallback) {
      String value = System.getenv(name);
      return value == null || value.isBlank() ? fallback : Integer.parseInt(value.trim());
    }

    Map<String, Object> toMap() {
      Map<String, Object> map = new LinkedHashMap<>();
      map.put("instances", instances);
      map.put("warmupInstances", warmup);
      map.put("inflight", inflight);
      map.put("starterThreads", starters);
      map.put("eagerWorkflowStart", eagerStart);
      map.put("maxConcurrentWorkflowTaskExecutionSize", workflowTaskSlots);
      map.put("workflowTaskPollers", workflowPollers);
      map.put("maxConcurrentLocalActivityExecutionSize", localActivitySlots);
      map.put("activityTaskPollers", activityPollers);
      map.put("maxConcurrentActivityExecutionSize", activitySlots);
      map.put("workflowCacheSize", workflowCacheSize);
      map.put("maxWorkflowThreadCount", workflowThreads);
      map.put("mode", mode);
      if (runsSingle()) {
        map.put("singleInstances", singleWave());
      }
      if (runsBatch()) {
        map.put("batchInstances", instances);
        map.put("batchSize", batchSize);
        map.put("batchWarmupInstances", batchWarmup);
        map.put("batchParallelism", batchParallelism);
      }
      return map;
    }
  }

  /** What is left after every instance was retired; all zero when nothing leaked. */
  public record Leaks(int domains, int reservedSlots, int pinnedPackages, int liveInstanceRecords, int nodeInstances) {

    public boolean none() {
      return domains == 0 && reservedSlots == 0 && pinnedPackages == 0 && liveInstanceRecords == 0 && nodeInstances == 0;
    }

    Map<String, Object> toMap() {
      Map<String, Object> map = new LinkedHashMap<>();
      map.put("testDriverDomains", domains);
      map.put("reservedSlots", reservedSlots);
      map.put("pinnedPackages", pinnedPackages);
      map.put("liveInstanceRecords", liveInstanceRecords);
      map.put("nodeInstances", nodeInstances);
      map.put("none", none());
      return map;
    }
  }

  /**
   * The figures of one mode's run.
   *
   * @param mode {@code single} (one ColdStartWorkflow per instance) or {@code batch}
   *     (ProvisionInstancesWorkflow)
   * @param instances instances asked for in the measured wave
   * @param ready cold starts that completed
   * @param failed cold starts that failed (the first few reasons in {@code failures})
   * @param upSeconds first start call to the last instance ready
   * @param instancesPerSecond {@code ready / upSeconds}
   * @param latencyMs per workflow, the start call to its result at the client (single: per instance;
   *     batch: per batch)
   * @param stageMeansMs the workflows' own stage breakdown (ColdStartStages or ProvisionStages), means
   * @param stagesMs the same as p50 / p99 summaries
   * @param retired retirements that completed
   * @param retireSeconds first retire call to the last retirement done
   * @param retireLatencyMs per retirement workflow, the retire call to its completion
   * @param leaks what was left after the retirements
   * @param cpu CPU seconds used during the measured wave: this JVM and the Temporal server
   */
  public record Figures(
      String mode,
      int instances,
      int ready,
      int failed,
      List<String> failures,
      double upSeconds,
      double instancesPerSecond,
      Map<String, Object> latencyMs,
      Map<String, Double> stageMeansMs,
      Map<String, Object> stagesMs,
      int retired,
      double retireSeconds,
      Map<String, Object> retireLatencyMs,
      Leaks leaks,
      Map<String, Object> cpu,
      Settings settings) {

    /** Target of issue #5: 10,000 instances through the control plane in at most 30 s. */
    public static final double TARGET_SECONDS_FOR_10000 = 30.0;

    public Map<String, Object> toMap() {
      Map<String, Object> map = new LinkedHashMap<>();
      map.put("mode", mode);
      map.put("instances", instances);
      map.put("ready", ready);
      map.put("failed", failed);
      map.put("failures", failures);
      map.put("up_seconds", Percentiles.round(upSeconds));
      map.put("instances_per_second", Percentiles.round(instancesPerSecond));
      map.put("seconds_for_10000_at_this_rate", Percentiles.round(10_000 / instancesPerSecond));
      map.put("target_seconds_for_10000", TARGET_SECONDS_FOR_10000);
      map.put("single".equals(mode) ? "coldstart_latency_ms" : "batch_latency_ms", latencyMs);
      map.put("stage_means_ms", stageMeansMs);
      map.put("stages_ms", stagesMs);
      map.put("retired", retired);
      map.put("retire_seconds", Percentiles.round(retireSeconds));
      map.put("retire_latency_ms", retireLatencyMs);
      map.put("leak_check", leaks.toMap());
      map.put("cpu_seconds", cpu);
      return map;
    }
  }

  /**
   * The figures of every mode that ran.
   *
   * @param single one ColdStartWorkflow per instance, or null when not run
   * @param batch ProvisionInstancesWorkflow batches, or null when not run
   */
  public record Results(Figures single, Figures batch) {

    /** The figures that answer the target: the batch mode's when it ran. */
    public Figures headline() {
      return batch != null ? batch : single;
    }

    public boolean clean() {
      return (single == null || single.failed() == 0 && single.leaks().none())
          && (batch == null || batch.failed() == 0 && batch.leaks().none());
    }

    public Map<String, Object> toMap() {
      Map<String, Object> map = new LinkedHashMap<>();
      Figures headline = headline();
      map.put("seconds_for_10000", Percentiles.round(10_000 / headline.instancesPerSecond()));
      map.put("target_seconds_for_10000", Figures.TARGET_SECONDS_FOR_10000);
      map.put("headline_mode", headline.mode());
      if (single != null) {
        map.put("single", single.toMap());
      }
      if (batch != null) {
        map.put("batch", batch.toMap());
      }
      return map;
    }
  }

  public static void main(String[] args) throws Exception {
    String temporal = System.getenv().getOrDefault("FAASTER_BENCH_TEMPORAL_ADDRESS", "127.0.0.1:7253");
    Path resultsDir = Path.of(System.getenv().getOrDefault("FAASTER_BENCH_RESULTS", "bench/results"));
    Settings settings = Settings.fromEnvironment();
    JsonMapper json = JsonMapper.createDefault(); // now: a broken classpath fails before the long part

    Results results = measure(temporal, settings);

    BenchmarkReport report = new BenchmarkReport("controlplane");
    settings.toMap().forEach(report::parameter);
    report.parameter("temporal", temporal);
    report.parameter("hypervisor", "test:///default");
    results.toMap().forEach(report::figure);
    Path file = report.write(json, resultsDir);

    System.out.println();
    System.out.println("control plane benchmark: instances through the real workflows on libvirt's test driver");
    for (Figures figures : new Figures[] {results.single(), results.batch()}) {
      if (figures != null) {
        print(figures);
      }
    }
    System.out.println("wrote " + file);
    System.exit(results.clean() ? 0 : 1);
  }

  private static void print(Figures figures) {
    boolean single = "single".equals(figures.mode());
    System.out.printf("%s: %d instances %s%n", figures.mode(), figures.instances(),
        single ? "through one ColdStartWorkflow each" : "through ProvisionInstancesWorkflow batches");
    System.out.printf("  up:      %d ready, %d failed in %.2f s: %.0f instances/s (10,000 in %.1f s at this rate; target %.0f s)%n",
        figures.ready(), figures.failed(), figures.upSeconds(), figures.instancesPerSecond(),
        10_000 / figures.instancesPerSecond(), Figures.TARGET_SECONDS_FOR_10000);
    System.out.printf("  latency: p50 %s ms, p99 %s ms per %s (start call to result)%n",
        figures.latencyMs().get("p50"), figures.latencyMs().get("p99"), single ? "cold start" : "batch");
    System.out.printf("  stages (means, ms): %s%n", figures.stageMeansMs());
    System.out.printf("  retire:  %d retired in %.2f s; p50 %s ms, p99 %s ms per %s%n", figures.retired(),
        figures.retireSeconds(), figures.retireLatencyMs().get("p50"), figures.retireLatencyMs().get("p99"),
        single ? "instance" : "batch");
    System.out.printf("  leak check: %s%n", figures.leaks().none() ? "nothing left" : "LEAKED " + figures.leaks());
    System.out.printf("  cpu seconds during the wave: %s%n", figures.cpu());
    if (!figures.failures().isEmpty()) {
      System.out.printf("  first failures: %s%n", figures.failures());
    }
  }

  /** Runs the benchmark against the Temporal server at {@code temporalAddress} and returns its figures. */
  public static Results measure(String temporalAddress, Settings settings) throws Exception {
    Path data = Files.createTempDirectory("faaster-bench-controlplane");
    String tenantId = UUID.randomUUID().toString();
    String functionId = UUID.randomUUID().toString();
    log("control plane: mode %s, %s%s, Temporal %s, libvirt test:///default", settings.mode(),
        settings.runsSingle() ? settings.singleWave() + " single (+" + settings.warmup() + " warm-up)" : "",
        settings.runsBatch() ? (settings.runsSingle() ? ", " : "") + settings.instances() + " in batches of "
            + settings.batchSize() + " (+" + settings.batchWarmup() + " warm-up)" : "",
        temporalAddress);

    try (RegistryUnderTest registry = new RegistryUnderTest("controlplane", 16);
        LibvirtHypervisor hypervisor = LibvirtHypervisor.connect("test:///default")) {
      recordTemplate(registry.bean(TemplateRepository.class));
      Clock clock = Clock.systemUTC();
      SlotRepository slotRecords = registry.bean(SlotRepository.class);
      int slotCount = Math.max(10_000, Math.max(settings.instances(), settings.warmup() + settings.batchWarmup()));
      registerNode(registry, slotCount, clock);
      SlotActivitiesImpl slots =
          new SlotActivitiesImpl(new SlotTable(slotRecords, clock, Duration.ofMillis(500)), slotRecords, clock);
      log("node %s registered: %d slots of %d MiB", NODE_ID, slotRecords.findByNodeId(NODE_ID).size(), MEMORY_MB);

      byte[] zip = packageZip();
      String sha256 = Sha256.hex(zip);
      Path l1 = data.resolve("l1");
      Files.createDirectories(l1);
      Files.write(l1.resolve(sha256 + ".zip"), zip);
      try (NodeCodeCache cache = NodeCodeCache.open(
          L1Settings.defaults(l1).withScrubInterval(Duration.ZERO).withPrefetch(0, Duration.ZERO), List.of(),
          ActivePackages.NONE, new SimpleMeterRegistry(), clock);
          BatchRunner runner = new BatchRunner(settings.batchParallelism())) {
        TestDriverInstanceActivities instances =
            new TestDriverInstanceActivities(NODE_ID, hypervisor, registry.bean(InstanceRepository.class));

        WorkflowServiceStubs service = WorkflowServiceStubs.newServiceStubs(
            WorkflowServiceStubsOptions.newBuilder().setTarget(temporalAddress).build());
        WorkflowClient client = WorkflowClient.newInstance(service,
            WorkflowClientOptions.newBuilder().setNamespace("default").setIdentity("controlplane-bench@"
                + ProcessHandle.current().pid()).build());
        WorkerFactory factory = WorkerFactory.newInstance(client, WorkerFactoryOptions.newBuilder()
            .setWorkflowCacheSize(settings.workflowCacheSize())
            .setMaxWorkflowThreadCount(settings.workflowThreads())
            .build());
        Worker control = factory.newWorker(TaskQueues.CONTROL, WorkerOptions.newBuilder()
            .setMaxConcurrentWorkflowTaskExecutionSize(settings.workflowTaskSlots())
            .setMaxConcurrentWorkflowTaskPollers(settings.workflowPollers())
            .setMaxConcurrentLocalActivityExecutionSize(settings.localActivitySlots())
            .setMaxConcurrentActivityTaskPollers(settings.activityPollers())
            .setMaxConcurrentActivityExecutionSize(settings.activitySlots())
            .build());
        control.registerWorkflowImplementationTypes(ColdStartWorkflowImpl.class, RetireInstanceWorkflowImpl.class,
            ProvisionInstancesWorkflowImpl.class, RetireInstancesWorkflowImpl.class);
        control.registerActivitiesImplementations(slots, new BatchSlotActivitiesImpl(slots),
            new RegistryTemplateLookup(registry.bean(TemplateRepository.class)));
        Worker node = factory.newWorker(NodeTaskQueues.of(NODE_ID), WorkerOptions.newBuilder()
            .setMaxConcurrentActivityTaskPollers(settings.activityPollers())
            .setMaxConcurrentActivityExecutionSize(settings.activitySlots())
            .build());
        CachedCodeActivities code = new CachedCodeActivities(cache, VmSettings.defaults()); // test driver: no code shares
        DirectRouteActivities routes = new DirectRouteActivities(new FaultInjection(null, null));
        node.registerActivitiesImplementations(instances, code, routes,
            new BatchInstanceActivitiesImpl(instances, runner), new BatchCodeActivitiesImpl(code, runner),
            new BatchRouteActivitiesImpl(routes, runner));
        factory.start();
        try {
          Function<String, ColdStartRequest> request = id -> new ColdStartRequest(id, tenantId, functionId, "cpbench", 1,
              RUNTIME, null, MEMORY_MB, sha256, Map.of(), null, StartMode.RESTORE);
          Supplier<Leaks> leakCheck = () -> {
            Leaks leaks = new Leaks(
                hypervisor.list(TestDriverInstanceActivities.DOMAIN_PREFIX).size(),
                (int) slotRecords.findByNodeId(NODE_ID).stream().filter(r -> r.instanceId() != null).count(),
                cache.stats().pinnedEntries(),
                registry.bean(InstanceRepository.class)
                    .findByNodeIdAndStateInList(NODE_ID, List.of(InstanceRecord.STARTING, InstanceRecord.READY)).size(),
                instances.runningCount());
            log("leak check: %s", leaks.none() ? "nothing left" : "LEAKED " + leaks);
            return leaks;
          };
          Figures single = settings.runsSingle() ? single(client, settings, request, leakCheck) : null;
          Figures batch = settings.runsBatch() ? batch(client, settings, request.apply(null), leakCheck) : null;
          return new Results(single, batch);
        } finally {
          factory.shutdown();
          factory.awaitTermination(10, TimeUnit.SECONDS);
          service.shutdown();
        }
      }
    }
  }

  /** One ColdStartWorkflow per instance (what a cold request does), then one RetireInstanceWorkflow each. */
  private static Figures single(WorkflowClient client, Settings settings, Function<String, ColdStartRequest> request,
      Supplier<Leaks> leakCheck) throws InterruptedException {
    if (settings.warmup() > 0) {
      List<String> warm = ids(settings.warmup());
      Wave<ColdStartResult> up = coldStarts("single warm-up", warm, client, settings, request);
      retirements("single warm-up retire", up.results(), client, settings);
    }
    List<String> measured = ids(settings.singleWave());
    Cpu before = Cpu.now();
    Wave<ColdStartResult> up = coldStarts("cold starts", measured, client, settings, request);
    Map<String, Object> cpu = Cpu.now().minus(before);
    Wave<Void> down = retirements("retirements", up.results(), client, settings);
    return figures(settings, up, down, leakCheck.get(), cpu);
  }

  /**
   * The instances in ProvisionInstancesWorkflow batches of {@code batchSize}, all started at once,
   * then retired in RetireInstancesWorkflow batches.
   */
  private static Figures batch(WorkflowClient client, Settings settings, ColdStartRequest template,
      Supplier<Leaks> leakCheck) throws InterruptedException {
    if (settings.batchWarmup() > 0) {
      Wave<ProvisionResult> up = provisions("batch warm-up", ids(settings.batchWarmup()), client, settings, template);
      batchRetirements("batch warm-up retire", up.results(), client, settings);
    }
    List<String> measured = ids(settings.instances());
    Cpu before = Cpu.now();
    Wave<ProvisionResult> up = provisions("provisioning", measured, client, settings, template);
    Map<String, Object> cpu = Cpu.now().minus(before);
    Wave<Integer> down = batchRetirements("batch retirements", up.results(), client, settings);
    return batchFigures(settings, up, down, leakCheck.get(), cpu);
  }

  private static Wave<ProvisionResult> provisions(String label, List<String> ids, WorkflowClient client,
      Settings settings, ColdStartRequest template) throws InterruptedException {
    Map<String, List<String>> batches = chunks(ids, settings.batchSize());
    return Wave.run(label, new ArrayList<>(batches.keySet()), settings, batchId -> {
      ProvisionInstancesWorkflow workflow = client.newWorkflowStub(ProvisionInstancesWorkflow.class,
          WorkflowOptions.newBuilder()
              .setWorkflowId(ProvisionInstancesWorkflow.idOf(batchId))
              .setTaskQueue(TaskQueues.CONTROL)
              .setWorkflowRunTimeout(Duration.ofMinutes(30))
              .setDisableEagerExecution(!settings.eagerStart())
              .build());
      WorkflowClient.start(workflow::provision, new ProvisionRequest(template, batches.get(batchId)));
      return WorkflowStub.fromTyped(workflow).getResultAsync(ProvisionResult.class);
    });
  }

  /** Retires the ready instances in batches; each batch's result is how many it retired. */
  private static Wave<Integer> batchRetirements(String label, List<ProvisionResult> provisioned, WorkflowClient client,
      Settings settings) throws InterruptedException {
    Map<String, String> nodeOf = new LinkedHashMap<>();
    provisioned.forEach(result -> result.instances().stream().filter(ProvisionedInstance::ready)
        .forEach(i -> nodeOf.put(i.instanceId(), i.nodeId())));
    Map<String, List<String>> batches = chunks(new ArrayList<>(nodeOf.keySet()), settings.batchSize());
    return Wave.run(label, new ArrayList<>(batches.keySet()), settings, batchId -> {
      RetireInstancesWorkflow workflow = client.newWorkflowStub(RetireInstancesWorkflow.class,
          WorkflowOptions.newBuilder()
              .setWorkflowId(RetireInstancesWorkflow.idOf(batchId))
              .setTaskQueue(TaskQueues.CONTROL)
              .setWorkflowRunTimeout(Duration.ofMinutes(30))
              .setDisableEagerExecution(!settings.eagerStart())
              .build());
      List<String> batch = batches.get(batchId);
      WorkflowClient.start(workflow::retireAll,
          new RetireInstancesRequest(batch.stream().map(id -> new RetireRequest(id, nodeOf.get(id), "bench")).toList()));
      return WorkflowStub.fromTyped(workflow).getResultAsync(Void.class).thenApply(done -> batch.size());
    });
  }

  /** The ids cut into lists of at most {@code size}, each under a new batch id. */
  private static Map<String, List<String>> chunks(List<String> ids, int size) {
    Map<String, List<String>> chunks = new LinkedHashMap<>();
    for (int from = 0; from < ids.size(); from += size) {
      chunks.put(UUID.randomUUID().toString(), List.copyOf(ids.subList(from, Math.min(ids.size(), from + size))));
    }
    return chunks;
  }

  private static Figures batchFigures(Settings settings, Wave<ProvisionResult> up, Wave<Integer> down, Leaks leaks,
      Map<String, Object> cpu) {
    Map<String, List<Double>> stages = new LinkedHashMap<>();
    for (String stage : List.of("schedule", "vm", "code", "network", "load", "undo", "total")) {
      stages.put(stage, new ArrayList<>());
    }
    int ready = 0;
    int failed = 0;
    List<String> failures = new ArrayList<>(up.failures());
    for (ProvisionResult result : up.results()) {
      ready += result.ready();
      failed += result.failed();
      for (ProvisionedInstance instance : result.instances()) {
        if (!instance.ready() && failures.size() < 5) {
          failures.add(instance.instanceId() + ": " + instance.failedStep() + " " + instance.failureType() + ": "
              + instance.failure());
        }
      }
      ProvisionStages s = result.stages();
      stages.get("schedule").add((double) s.scheduleMillis());
      stages.get("vm").add((double) s.vmMillis());
      stages.get("code").add((double) s.codeMillis());
      stages.get("network").add((double) s.networkMillis());
      stages.get("load").add((double) s.loadMillis());
      stages.get("undo").add((double) s.undoMillis());
      stages.get("total").add((double) s.totalMillis());
    }
    // A batch workflow that failed as a whole: all its instances count as failed.
    failed += up.failed() * settings.batchSize();
    Map<String, Double> means = new LinkedHashMap<>();
    Map<String, Object> summaries = new LinkedHashMap<>();
    stages.forEach((stage, values) -> {
      means.put(stage, Percentiles.round(values.stream().mapToDouble(Double::doubleValue).average().orElse(0)));
      if (!values.isEmpty()) {
        summaries.put(stage, Percentiles.summary(values));
      }
    });
    Map<String, Object> cpuPerInstance = perInstance(cpu, ready);
    double seconds = up.wallNanos() / 1e9;
    int retired = down.results().stream().mapToInt(Integer::intValue).sum();
    return new Figures("batch", settings.instances(), ready, failed, failures, seconds, ready / seconds,
        summaryOrEmpty(up.latencies()), means, summaries, retired, down.wallNanos() / 1e9,
        summaryOrEmpty(down.latencies()), leaks, cpuPerInstance, settings);
  }

  /** Where the CPU went, per instance: what bounds the rate on a machine this size. */
  private static Map<String, Object> perInstance(Map<String, Object> cpu, int instances) {
    Map<String, Object> cpuPerInstance = new LinkedHashMap<>(cpu);
    for (String key : List.of("bench_jvm", "temporal_server")) {
      if (cpu.get(key) instanceof Double cpuSeconds) {
        cpuPerInstance.put(key + "_ms_per_instance", Percentiles.round(cpuSeconds * 1000 / Math.max(1, instances)));
      }
    }
    return cpuPerInstance;
  }

  private static Figures figures(Settings settings, Wave<ColdStartResult> up, Wave<Void> down, Leaks leaks,
      Map<String, Object> cpu) {
    Map<String, List<Double>> stages = new LinkedHashMap<>();
    for (String stage : List.of("schedule", "vm", "code", "network", "load", "total")) {
      stages.put(stage, new ArrayList<>());
    }
    for (ColdStartResult result : up.results()) {
      ColdStartStages s = result.stages();
      stages.get("schedule").add((double) s.scheduleMillis());
      stages.get("vm").add((double) s.vmMillis());
      stages.get("code").add((double) s.codeMillis());
      stages.get("network").add((double) s.networkMillis());
      stages.get("load").add((double) s.loadMillis());
      stages.get("total").add((double) s.totalMillis());
    }
    Map<String, Double> means = new LinkedHashMap<>();
    Map<String, Object> summaries = new LinkedHashMap<>();
    stages.forEach((stage, values) -> {
      means.put(stage, Percentiles.round(values.stream().mapToDouble(Double::doubleValue).average().orElse(0)));
      if (!values.isEmpty()) {
        summaries.put(stage, Percentiles.summary(values));
      }
    });
    Map<String, Object> cpuPerInstance = perInstance(cpu, up.results().size());
    double seconds = up.wallNanos() / 1e9;
    return new Figures("single", settings.singleWave(), up.results().size(), up.failed(), up.failures(), seconds,
        up.results().size() / seconds, summaryOrEmpty(up.latencies()), means, summaries, down.completed(),
        down.wallNanos() / 1e9, summaryOrEmpty(down.latencies()), leaks, cpuPerInstance, settings);
  }

  private static Map<String, Object> summaryOrEmpty(List<Double> values) {
    return values.isEmpty() ? Map.of("count", 0) : Percentiles.summary(values);
  }

  private static Wave<ColdStartResult> coldStarts(String label, List<String> ids, WorkflowClient client,
      Settings settings, Function<String, ColdStartRequest> request) throws InterruptedException {
    return Wave.run(label, ids, settings, id -> {
      ColdStartWorkflow workflow = client.newWorkflowStub(ColdStartWorkflow.class, WorkflowOptions.newBuilder()
          .setWorkflowId(ColdStartWorkflowIds.of(id))
          .setTaskQueue(TaskQueues.CONTROL)
          .setWorkflowRunTimeout(Duration.ofMinutes(10))
          .setDisableEagerExecution(!settings.eagerStart())
          .build());
      WorkflowClient.start(workflow::start, request.apply(id));
      return WorkflowStub.fromTyped(workflow).getResultAsync(ColdStartResult.class);
    });
  }

  private static Wave<Void> retirements(String label, List<ColdStartResult> ready, WorkflowClient client,
      Settings settings) throws InterruptedException {
    Map<String, String> nodeOf = new LinkedHashMap<>();
    ready.forEach(r -> nodeOf.put(r.instanceId(), r.nodeId()));
    return Wave.run(label, new ArrayList<>(nodeOf.keySet()), settings, id -> {
      RetireInstanceWorkflow workflow = client.newWorkflowStub(RetireInstanceWorkflow.class, WorkflowOptions.newBuilder()
          .setWorkflowId(ColdStartWorkflowIds.retireOf(id))
          .setTaskQueue(TaskQueues.CONTROL)
          .setWorkflowRunTimeout(Duration.ofMinutes(10))
          .setDisableEagerExecution(!settings.eagerStart())
          .build());
      WorkflowClient.start(workflow::retire, new RetireRequest(id, nodeOf.get(id), "bench"));
      return WorkflowStub.fromTyped(workflow).getResultAsync(Void.class);
    });
  }

  /**
   * One wave of workflows: started from {@code starters} threads with at most {@code inflight}
   * running, each timed from its start call to its result; progress printed every second.
   */
  private record Wave<R>(List<R> results, List<Double> latencies, int failed, List<String> failures, long wallNanos) {

    int completed() {
      return latencies.size();
    }

    static <R> Wave<R> run(String label, List<String> ids, Settings settings,
        Function<String, CompletableFuture<R>> start) throws InterruptedException {
      Semaphore inflight = new Semaphore(settings.inflight());
      ExecutorService starters = Executors.newFixedThreadPool(settings.starters(), daemon("starter"));
      ScheduledExecutorService progress = Executors.newSingleThreadScheduledExecutor(daemon("progress"));
      Queue<R> results = new ConcurrentLinkedQueue<>();
      Queue<Double> latencies = new ConcurrentLinkedQueue<>();
      Queue<String> failures = new ConcurrentLinkedQueue<>();
      AtomicInteger started = new AtomicInteger();
      AtomicInteger failed = new AtomicInteger();
      CountDownLatch done = new CountDownLatch(ids.size());
      long t0 = System.nanoTime();
      int[] last = {0};
      progress.scheduleAtFixedRate(() -> {
        int completed = latencies.size();
        log("  %s: %5.1f s: started %d, done %d (+%d/s), failed %d, in flight %d", label,
            (System.nanoTime() - t0) / 1e9, started.get(), completed, completed - last[0], failed.get(),
            settings.inflight() - inflight.availablePermits());
        last[0] = completed;
      }, 1, 1, TimeUnit.SECONDS);
      try {
        for (String id : ids) {
          inflight.acquire();
          starters.execute(() -> {
            long begin = System.nanoTime();
            CompletableFuture<R> result;
            try {
              result = start.apply(id);
              started.incrementAndGet();
            } catch (RuntimeException e) {
              result = CompletableFuture.failedFuture(e);
            }
            result.whenComplete((value, failure) -> {
              if (failure == null) {
                if (value != null) {
                  results.add(value);
                }
                latencies.add((System.nanoTime() - begin) / 1e6);
              } else {
                failed.incrementAndGet();
                if (failures.size() < 5) {
                  failures.add(id + ": " + reasonOf(failure));
                }
              }
              inflight.release();
              done.countDown();
            });
          });
        }
        if (!done.await(30, TimeUnit.MINUTES)) {
          throw new IllegalStateException(label + ": not done after 30 minutes");
        }
      } finally {
        progress.shutdownNow();
        starters.shutdownNow();
      }
      long wall = System.nanoTime() - t0;
      log("  %s: %d done, %d failed in %.2f s (%.0f/s)", label, latencies.size(), failed.get(), wall / 1e9,
          latencies.size() / (wall / 1e9));
      return new Wave<>(new ArrayList<>(results), new ArrayList<>(latencies), failed.get(), new ArrayList<>(failures),
          wall);
    }
  }

  private static String reasonOf(Throwable failure) {
    Throwable cause = failure;
    while (cause.getCause() != null) {
      cause = cause.getCause();
    }
    return cause.getClass().getSimpleName() + ": " + cause.getMessage();
  }

  /**
   * The bench node registers as a node agent does at start ({@link NodeRegistration}): LIVE, its
   * capacity cut into {@code slots} slots of 128 MiB (memory and vCPUs sized so the plan gives
   * exactly that many).
   */
  private static void registerNode(RegistryUnderTest registry, int slots, Clock clock) {
    NodeConfiguration node = new NodeConfiguration(NODE_ID, List.of(RUNTIME), Path.of("unused"), Path.of("unused"),
        Duration.ofSeconds(30));
    NodeSlotsConfiguration capacity = new NodeSlotsConfiguration("bench", slots * MEMORY_MB, slots, MEMORY_MB,
        MEMORY_MB + ":1", Duration.ofSeconds(2));
    new NodeRegistration(node, capacity, registry.bean(NodeRepository.class), registry.bean(SlotRepository.class), clock)
        .register();
  }

  /** The node's READY template of the runtime: the lookup's answer (test-driver domains restore from nothing). */
  private static String recordTemplate(TemplateRepository templates) {
    String id = UUID.randomUUID().toString();
    String digest = "0".repeat(64);
    templates.save(new TemplateRecord(id, NODE_ID, RUNTIME, digest, digest, digest, "test", "pc", "tcg", MEMORY_MB,
        "/dev/shm/faaster/cpbench.mem", "/dev/shm/faaster/cpbench.state", 0, 0, TemplateRecord.READY, Instant.now()));
    return id;
  }

  /** A small provided-runtime package: the one every instance's code step finds in L1. */
  private static byte[] packageZip() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(out)) {
      zip.putNextEntry(new ZipEntry("bootstrap"));
      zip.write("#!/bin/sh\ncat\n".getBytes());
      zip.closeEntry();
    }
    return out.toByteArray();
  }

  private static List<String> ids(int count) {
    List<String> ids = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      ids.add(UUID.randomUUID().toString());
    }
    return Collections.unmodifiableList(ids);
  }

  private static java.util.concurrent.ThreadFactory daemon(String name) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, "cpbench-" + name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  static void log(String format, Object... args) {
    System.out.printf(format + "%n", args);
  }

  /** CPU time of this JVM and of the benchmark's Temporal dev server (from its pid file, when there is one). */
  private record Cpu(long jvmNanos, long temporalTicks, long wallNanos) {

    static Cpu now() {
      var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
      return new Cpu(os.getProcessCpuTime(), readTemporalTicks(), System.nanoTime());
    }

    Map<String, Object> minus(Cpu before) {
      Map<String, Object> map = new LinkedHashMap<>();
      double wall = (System.nanoTime() - before.wallNanos) / 1e9;
      map.put("wall", Percentiles.round(wall));
      map.put("bench_jvm", Percentiles.round((jvmNanos - before.jvmNanos) / 1e9));
      // The machine is shared: the 1-minute load average says how much of it the run had.
      map.put("load_average_1m_after", Percentiles.round(ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage()));
      if (temporalTicks >= 0 && before.temporalTicks >= 0) {
        map.put("temporal_server", Percentiles.round((temporalTicks - before.temporalTicks) / 100.0));
      }
      return map;
    }

    private static long readTemporalTicks() {
      String root = System.getenv().getOrDefault("FAASTER_ROOT", ".");
      Path pidFile = Path.of(System.getenv().getOrDefault("FAASTER_BENCH_TEMPORAL_PID_FILE",
          root + "/.data/bench/temporal/temporal.pid"));
      try {
        String pid = Files.readString(pidFile).trim();
        String stat = Files.readString(Path.of("/proc", pid, "stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        // utime and stime are fields 14 and 15 of /proc/PID/stat; fields[0] here is field 3.
        return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
      } catch (IOException | RuntimeException e) {
        return -1;
      }
    }
  }
}

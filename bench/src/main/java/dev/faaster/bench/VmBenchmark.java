package dev.faaster.bench;

import dev.faaster.vm.Accelerator;
import dev.faaster.vm.AcceleratorDetector;
import dev.faaster.vm.AgentClient;
import dev.faaster.vm.AgentMessages;
import dev.faaster.vm.AgentReadiness;
import dev.faaster.vm.CloneFactory;
import dev.faaster.vm.DomainRef;
import dev.faaster.vm.GuestImage;
import dev.faaster.vm.Instance;
import dev.faaster.vm.LibvirtHypervisor;
import dev.faaster.vm.Pss;
import dev.faaster.vm.Qmp;
import dev.faaster.vm.TemplateBuilder;
import dev.faaster.vm.TemplateImage;
import dev.faaster.vm.VmSettings;
import io.micronaut.json.JsonMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

/**
 * {@code ./faaster bench vm}: booting a micro VM against restoring one from a template, side by
 * side in one run, for every runtime whose image is passed as an argument (provided and python3).
 *
 * <ul>
 *   <li>Boot: a fresh domain (the templates' devices, kernel and initramfs, but plain anonymous
 *       RAM: no memory file, no incoming migration) from {@code domainCreateXML} to the agent's
 *       READY with its runtime warmed ({@code runtimeReady}).
 *   <li>Restore: clones of the runtime's template restored one at a time, each pre-created first
 *       as the clone pool does (QEMU started, waiting on {@code -incoming defer}: off the cold
 *       path, reported apart), then {@link CloneFactory#restore}: device state streamed in until
 *       the agent answers READY. Each clone is destroyed after it is measured.
 *   <li>PSS: N clones of one template running at once (restored one after another), each having
 *       answered its agent; the sum of their QEMU processes' PSS.
 * </ul>
 *
 * Boots and restores are interleaved (every round boots each runtime once, then restores its share
 * of the restore runs) and runtimes alternate, so load from other processes on the machine falls
 * on all series alike. Every domain it creates is named {@code bench-faaster-...}; all are
 * destroyed at the end, on failure and on Ctrl-C (shutdown hook), and leftovers of a killed run
 * are destroyed at start.
 */
public final class VmBenchmark {

  /**
   * Outside the platform's {@code faaster-} namespace on purpose: a platform reconciler on this
   * host destroys {@code faaster-*} domains it has no record of (it killed a boot mid-run once).
   */
  static final String PREFIX = "bench-faaster-";
  /** A run whose domain died (e.g. destroyed from outside) is retried at most this often in all. */
  static final int MAX_FAILED_RUNS = 5;

  private final LibvirtHypervisor hv;
  private final VmSettings settings;
  private final AgentReadiness agent = new AgentReadiness();
  private final TemplateBuilder builder;
  private final CloneFactory clones;
  /** Whether clones run under TCG: then each restore also reports the guest code it translated. */
  private boolean translates;
  private final List<TemplateImage> templates = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final AtomicBoolean cleanedUp = new AtomicBoolean();
  private final List<String> failures = new java.util.concurrent.CopyOnWriteArrayList<>();

  VmBenchmark(LibvirtHypervisor hv, VmSettings settings) {
    this.hv = hv;
    this.settings = settings;
    this.builder = new TemplateBuilder(hv, agent, new AcceleratorDetector(hv, settings), settings);
    this.clones = new CloneFactory(hv, agent, settings);
  }

  public static void main(String[] args) throws Exception {
    if (args.length == 0) {
      System.err.println("usage: VmBenchmark IMAGE_DIR... (infra/guest/build-image.sh prints them)");
      System.exit(2);
    }
    int bootRuns = intEnv("FAASTER_BENCH_BOOT_RUNS", 20);
    int restoreRuns = intEnv("FAASTER_BENCH_RESTORE_RUNS", 50);
    int restoreWarmup = intEnv("FAASTER_BENCH_RESTORE_WARMUP", 3);
    long settleMs = intEnv("FAASTER_BENCH_SETTLE_MS", 200);
    String pssRuntime = System.getenv().getOrDefault("FAASTER_BENCH_PSS_RUNTIME", AgentMessages.RUNTIME_PROVIDED);
    List<Integer> pssCounts = new ArrayList<>();
    for (String s : System.getenv().getOrDefault("FAASTER_BENCH_PSS_COUNTS", "1,10,50").split(",")) {
      pssCounts.add(Integer.parseInt(s.trim()));
    }
    Path results = Path.of(System.getenv().getOrDefault("FAASTER_BENCH_RESULTS", "bench/results"));
    String uri = System.getenv().getOrDefault("FAASTER_BENCH_LIBVIRT_URI", "qemu:///system");

    VmSettings d = VmSettings.defaults();
    // Own name prefix and directories: never touches the platform's or the tests' domains. Pool
    // size 0: no background refill competing with a measured restore; this class pre-creates.
    VmSettings settings = new VmSettings(uri, Path.of("/run/faaster/vm-bench"), Path.of("/dev/shm/faaster-bench"),
        d.emulator(), PREFIX, System.getenv().getOrDefault("FAASTER_BENCH_ACCELERATOR", d.accelerator()),
        d.acceleratorCache(), d.probeTimeout(), Duration.ofSeconds(300), Duration.ofSeconds(60),
        Duration.ofSeconds(60), 0, false, d.memoryMiB(),
        Path.of("/run/faaster/vm-bench/shares")); // as on a node: templates and clones carry the code share device

    List<GuestImage> images = new ArrayList<>();
    for (String a : args) {
      images.add(GuestImage.fromDirectory(Path.of(a)));
    }

    LibvirtHypervisor hv = LibvirtHypervisor.connect(uri);
    VmBenchmark bench = new VmBenchmark(hv, settings);
    Thread hook = new Thread(bench::cleanUp, "faaster-bench-vm-cleanup");
    Runtime.getRuntime().addShutdownHook(hook);
    int rc = 0;
    try {
      bench.destroyLeftovers(); // of a killed run
      bench.run(images, bootRuns, restoreRuns, restoreWarmup, settleMs, pssRuntime, pssCounts, results);
    } catch (Exception e) {
      System.err.println("vm benchmark failed: " + e);
      e.printStackTrace();
      rc = 1;
    } finally {
      bench.cleanUp();
      List<DomainRef> left = hv.list(PREFIX);
      if (!left.isEmpty()) {
        System.err.println("WARNING: domains left behind: " + left);
        rc = 1;
      }
    }
    System.exit(rc);
  }

  void run(List<GuestImage> images, int bootRuns, int restoreRuns, int restoreWarmup, long settleMs,
      String pssRuntime, List<Integer> pssCounts, Path results) throws Exception {
    JsonMapper json = JsonMapper.createDefault(); // now: a broken classpath fails before the long part
    String loadBefore = loadAverage();
    int othersBefore = otherDomains();
    String qemu = firstLine(settings.emulator().toString(), "--version");
    String libvirt = firstLine("libvirtd", "--version");
    AcceleratorDetector.Decision acc = new AcceleratorDetector(hv, settings).detect(images.get(0));
    System.out.printf("vm benchmark: %s, %s, accelerator %s (%s)%n", qemu, libvirt, acc.accelerator(), acc.reason());
    System.out.printf("  %d boots and %d restores (+%d warm-up) per runtime; PSS with %s %s instances%n", bootRuns,
        restoreRuns, restoreWarmup, pssCounts, pssRuntime);

    // Templates first: booted, warmed, saved (RAM in /dev/shm, device state in a small file).
    Map<String, Object> templateFigures = new LinkedHashMap<>();
    for (GuestImage image : images) {
      System.out.printf("template %s: building (boot, warm, save)...%n", image.runtime());
      TemplateImage t = builder.build(image, settings.flavor());
      templates.add(t);
      System.out.printf("template %s: %s, agent answered %d ms after create, saved %d KiB in %d ms%n", image.runtime(),
          t.id(), t.bootToAgent().toMillis(), t.stateBytes() / 1024, t.save().toMillis());
      Map<String, Object> tf = new LinkedHashMap<>();
      tf.put("id", t.id());
      tf.put("machine", t.machine());
      tf.put("boot_to_agent_ms", t.bootToAgent().toMillis());
      tf.put("save_ms", t.save().toMillis());
      tf.put("state_bytes", t.stateBytes());
      tf.put("memory_file_mib", Files.size(t.memoryFile()) >> 20);
      tf.put("kernel", image.kernel().toString());
      tf.put("kernel_sha256", image.kernelSha256());
      tf.put("initramfs", image.initramfs().toString());
      tf.put("initramfs_sha256", image.initramfsSha256());
      templateFigures.put(image.runtime(), tf);
    }

    // Boots and restores interleaved: each round boots every runtime once, then restores its
    // share of the restore runs for every runtime, so load from other processes on the machine
    // falls on both sides of the ratio alike. Runtimes alternate within a round.
    Map<String, List<Double>> boot = new LinkedHashMap<>();
    Map<String, List<Double>> bootCreate = new LinkedHashMap<>();
    Map<String, RestoreSeries> restores = new LinkedHashMap<>();
    for (TemplateImage t : templates) {
      restores.put(t.runtime(), new RestoreSeries());
    }
    translates = acc.accelerator() == Accelerator.TCG;
    for (int w = 0; w < restoreWarmup; w++) {
      for (TemplateImage t : templates) {
        restoreOnce(t, settleMs, "warm-up " + (w + 1) + "/" + restoreWarmup, null);
      }
    }
    int rounds = Math.max(1, bootRuns);
    int restored = 0;
    for (int i = 0; i < rounds; i++) {
      if (i < bootRuns) {
        for (int k = 0; k < images.size(); k++) {
          GuestImage image = images.get(k);
          TemplateImage t = templates.get(k);
          int run = i + 1;
          double[] r = retrying("boot " + run + " " + image.runtime(), () -> bootOnce(t));
          boot.computeIfAbsent(image.runtime(), x -> new ArrayList<>()).add(r[1]);
          bootCreate.computeIfAbsent(image.runtime(), x -> new ArrayList<>()).add(r[0]);
          System.out.printf("  boot %2d/%d %-8s create %6.0f ms, agent READY %8.0f ms after create%n", run, bootRuns,
              image.runtime(), r[0], r[1]);
        }
      }
      int until = (int) ((long) restoreRuns * (i + 1) / rounds);
      for (; restored < until; restored++) {
        for (TemplateImage t : templates) {
          restoreOnce(t, settleMs, (restored + 1) + "/" + restoreRuns, restores.get(t.runtime()));
        }
      }
    }

    // PSS with N instances of one template running at once.
    TemplateImage pssTemplate = templates.stream().filter(t -> t.runtime().equals(pssRuntime)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no template for PSS runtime " + pssRuntime));
    Map<String, Object> pss = new LinkedHashMap<>();
    for (int n : pssCounts) {
      pss.put(Integer.toString(n), pssWith(pssTemplate, n, settleMs));
    }

    String loadAfter = loadAverage();
    int othersAfter = otherDomains();
    BenchmarkReport report = new BenchmarkReport("vm")
        .parameter("bootRunsPerRuntime", bootRuns)
        .parameter("restoreRunsPerRuntime", restoreRuns)
        .parameter("restoreWarmupRuns", restoreWarmup)
        .parameter("settleBeforeRestoreMs", settleMs)
        .parameter("order", "templates built; restore warm-up; then rounds: boot each runtime once, restore each"
            + " runtime restoreRuns/bootRuns times; then PSS")
        .parameter("runtimes", images.stream().map(GuestImage::runtime).toList())
        .parameter("qemu", qemu)
        .parameter("qemuVersionFromLibvirt", hv.version())
        .parameter("libvirt", libvirt)
        .parameter("libvirtUri", settings.uri())
        .parameter("accelerator", acc.accelerator().toString())
        .parameter("acceleratorReason", acc.reason())
        .parameter("memoryMiB", settings.memoryMiB())
        .parameter("vcpus", settings.flavor().vcpus())
        .parameter("network", settings.network())
        .parameter("bootDomain", "the templates' devices, kernel, initramfs and command line; plain anonymous RAM"
            + " (no memory file, no -incoming); clock: domainCreateXML called -> agent READY with runtimeReady")
        .parameter("restore", "clone pre-created (QEMU started, -incoming defer, x-ignore-shared, listening) then"
            + " CloneFactory.restore: clock from restore() called -> agent READY with runtimeReady; pre-create"
            + " reported apart (off the cold path)")
        .parameter("tcgBlocks", "under TCG, x-query-jit's TB count of the clone's QEMU queried right after restore()"
            + " returned: the guest code it translated for its first answer (a new QEMU starts with none), plus"
            + " what the guest ran in the millisecond or so until the query")
        .parameter("pssRuntime", pssRuntime)
        .parameter("pssCounts", pssCounts)
        .parameter("loadAverageBefore", loadBefore)
        .parameter("loadAverageAfter", loadAfter)
        .parameter("otherDomainsRunningBefore", othersBefore)
        .parameter("otherDomainsRunningAfter", othersAfter)
        .figure("templates", templateFigures);

    Map<String, Object> perRuntime = new LinkedHashMap<>();
    for (TemplateImage t : templates) {
      String rt = t.runtime();
      Map<String, Object> f = new LinkedHashMap<>();
      f.put("boot_to_agent_ms", Percentiles.summary(boot.get(rt)));
      f.put("boot_domain_create_ms", Percentiles.summary(bootCreate.get(rt)));
      RestoreSeries r = restores.get(rt);
      f.put("restore_to_agent_ms", Percentiles.summary(r.toAgent));
      f.put("restore_state_loaded_ms", Percentiles.summary(r.loaded));
      if (translates) {
        f.put("restore_tcg_blocks_to_agent", Percentiles.summary(r.translatedBlocks));
      }
      f.put("precreate_ms", Percentiles.summary(r.precreate));
      f.put("destroy_ms", Percentiles.summary(r.destroy));
      f.put("boot_to_restore_ratio_p50",
          Percentiles.round(Percentiles.percentile(boot.get(rt), 50) / Percentiles.percentile(r.toAgent, 50)));
      f.put("restore_to_agent_raw_ms", r.toAgent);
      f.put("boot_to_agent_raw_ms", boot.get(rt));
      perRuntime.put(rt, f);
    }
    report.figure("runtimes", perRuntime).figure("pss", pss).figure("failed_runs", List.copyOf(failures));
    Path file = report.write(json, results);

    System.out.println();
    System.out.printf("vm benchmark (%s, %s, %d MiB, %d vCPU; %d boots, %d restores per runtime)%n",
        acc.accelerator(), qemu.replace("QEMU emulator version ", "QEMU "), settings.memoryMiB(),
        settings.flavor().vcpus(), bootRuns, restoreRuns);
    System.out.printf("  %-34s %10s %10s%n", "", "p50 ms", "p99 ms");
    for (TemplateImage t : templates) {
      String rt = t.runtime();
      print(rt + ": boot to agent", boot.get(rt));
      RestoreSeries r = restores.get(rt);
      print(rt + ": restore to agent", r.toAgent);
      print(rt + ":   state loaded", r.loaded);
      print(rt + ":   pre-create (off path)", r.precreate);
      System.out.printf("  %-34s %10.1f%n", rt + ": boot / restore (p50)",
          Percentiles.percentile(boot.get(rt), 50) / Percentiles.percentile(r.toAgent, 50));
      if (translates) {
        System.out.printf("  %-34s %10.0f %10.0f%n", rt + ":   TCG blocks to agent", Percentiles.percentile(
            r.translatedBlocks, 50), Percentiles.percentile(r.translatedBlocks, 99));
      }
    }
    System.out.printf("  PSS, %s clones of one %d MiB template:%n", pssRuntime, settings.memoryMiB());
    System.out.printf("  %12s %14s %16s%n", "instances", "total MiB", "per instance MiB");
    for (var e : pss.entrySet()) {
      @SuppressWarnings("unchecked")
      Map<String, Object> m = (Map<String, Object>) e.getValue();
      System.out.printf("  %12s %14.1f %16.1f%n", e.getKey(), (double) m.get("total_mib"), (double) m.get("per_instance_mib"));
    }
    System.out.printf("  (plus the template's %d MiB memory file in /dev/shm, once per template)%n",
        Files.size(pssTemplate.memoryFile()) >> 20);
    if (!failures.isEmpty()) {
      System.out.printf("  %d run(s) failed and were retried: %s%n", failures.size(), failures);
    }
    System.out.printf("  load average before %s, after %s; other domains running before %d, after %d%n", loadBefore,
        loadAfter, othersBefore, othersAfter);
    System.out.println("wrote " + file);
  }

  /** Domains on this host that are not the benchmark's (other sessions' VMs load the machine too). */
  private int otherDomains() {
    return (int) hv.list("").stream().filter(d -> d.active() && !d.name().startsWith(PREFIX)).count();
  }

  /** One runtime's restore figures, in run order. */
  private static final class RestoreSeries {
    final List<Double> toAgent = new ArrayList<>();
    final List<Double> loaded = new ArrayList<>();
    final List<Double> translatedBlocks = new ArrayList<>();
    final List<Double> precreate = new ArrayList<>();
    final List<Double> destroy = new ArrayList<>();
  }

  /**
   * Pre-creates one clone (timed: off the cold path), lets it wait {@code settleMs}, restores it
   * (timed: the cold path), under TCG reads how many blocks of guest code its QEMU translated for
   * that first answer, asks its agent once more which runtime it runs, destroys it (timed). A null
   * series: a warm-up run, printed but not recorded.
   */
  private void restoreOnce(TemplateImage t, long settleMs, String label, RestoreSeries series) throws Exception {
    double[] pre = new double[1];
    long[] blocks = {-1};
    Instance inst = retrying("restore " + label + " " + t.runtime(), () -> {
      long p0 = System.nanoTime();
      clones.prewarm(t, 1);
      pre[0] = ms(System.nanoTime() - p0);
      Thread.sleep(settleMs); // a pooled clone waits a while before it is used
      Instance restored = clones.restore(t);
      try {
        if (translates) { // before anything else runs in the guest
          blocks[0] = new Qmp(hv, restored.name()).translatedBlocks().orElse(-1);
        }
        verifyRuntime(restored, t.runtime());
      } catch (RuntimeException e) {
        clones.destroy(restored.name());
        throw e;
      }
      return restored;
    });
    Instance.Timings tm = inst.timings();
    long d0 = System.nanoTime();
    clones.destroy(inst.name());
    double destroyed = ms(System.nanoTime() - d0);
    if (!tm.pooled()) {
      throw new IllegalStateException("restore did not take the pre-created clone");
    }
    if (series != null) {
      series.toAgent.add(millis(tm.agentAnswered()));
      series.loaded.add(millis(tm.loaded()));
      if (blocks[0] >= 0) {
        series.translatedBlocks.add((double) blocks[0]);
      }
      series.precreate.add(pre[0]);
      series.destroy.add(destroyed);
    }
    System.out.printf("  restore %s %-8s pre-create %5.0f ms | state loaded %5.1f ms, agent READY %6.1f ms%s"
        + " | destroy %4.0f ms%n", label, t.runtime(), pre[0], millis(tm.loaded()), millis(tm.agentAnswered()),
        blocks[0] >= 0 ? String.format(" (%d TCG blocks)", blocks[0]) : "", destroyed);
  }

  /**
   * One fresh boot through {@link CloneFactory#boot} (the template's devices, code share included,
   * kernel and pinned machine; plain anonymous RAM); returns {create ms, create-to-agent ms}.
   */
  private double[] bootOnce(TemplateImage t) {
    Instance booted = clones.boot(t);
    try {
      Instance.Timings tm = booted.timings();
      return new double[] {millis(tm.processStart()), millis(tm.agentAnswered())};
    } finally {
      clones.destroy(booted.name()); // also deletes its socket, console and share
    }
  }

  @FunctionalInterface
  interface Run<T> {
    T call() throws Exception;
  }

  /**
   * Runs {@code run} again when it fails, up to {@link #MAX_FAILED_RUNS} failures in the whole
   * benchmark; every failure is printed and recorded in the report, none is hidden.
   */
  private <T> T retrying(String what, Run<T> run) throws Exception {
    while (true) {
      try {
        return run.call();
      } catch (InterruptedException e) {
        throw e;
      } catch (Exception e) {
        failures.add(what + ": " + e);
        System.out.printf("  %s FAILED (%d of at most %d failures, retried): %s%n", what, failures.size(),
            MAX_FAILED_RUNS, e.getMessage());
        if (failures.size() >= MAX_FAILED_RUNS) {
          throw e;
        }
      }
    }
  }

  private Map<String, Object> pssWith(TemplateImage t, int n, long settleMs) throws Exception {
    System.out.printf("PSS: restoring %d %s clones...%n", n, t.runtime());
    long availBefore = memAvailableKiB();
    List<Instance> running = new ArrayList<>();
    List<Double> restoreMs = new ArrayList<>();
    try {
      for (int i = 0; i < n; i++) {
        Instance inst = retrying("PSS restore " + (i + 1) + "/" + n, () -> {
          clones.prewarm(t, 1);
          Thread.sleep(settleMs);
          return clones.restore(t);
        });
        running.add(inst);
        restoreMs.add(millis(inst.timings().agentAnswered()));
        if ((i + 1) % 10 == 0 || i + 1 == n) {
          System.out.printf("  %d/%d running (last restore %.1f ms)%n", i + 1, n, millis(inst.timings().agentAnswered()));
        }
      }
      // Every instance answered its agent when restore() returned; ask each again now that all run.
      for (Instance inst : running) {
        verifyRuntime(inst, t.runtime());
      }
      long totalKiB = 0;
      List<Long> each = new ArrayList<>();
      for (Instance inst : running) {
        OptionalLong k = Pss.kib(inst.qemuPid());
        if (k.isEmpty()) {
          throw new IllegalStateException("no PSS for " + inst.name() + " (pid " + inst.qemuPid() + ")");
        }
        each.add(k.getAsLong());
        totalKiB += k.getAsLong();
      }
      long availAfter = memAvailableKiB();
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("instances", n);
      m.put("total_mib", Percentiles.round(totalKiB / 1024.0));
      m.put("per_instance_mib", Percentiles.round(totalKiB / 1024.0 / n));
      m.put("max_instance_mib", Percentiles.round(each.stream().mapToLong(Long::longValue).max().orElse(0) / 1024.0));
      m.put("min_instance_mib", Percentiles.round(each.stream().mapToLong(Long::longValue).min().orElse(0) / 1024.0));
      m.put("restore_to_agent_ms", Percentiles.summary(restoreMs));
      // Cross-check only: MemAvailable moves with other processes' activity and the page cache.
      m.put("host_mem_available_drop_mib", Percentiles.round((availBefore - availAfter) / 1024.0));
      System.out.printf("  %d instances: PSS %.1f MiB in total, %.1f MiB each (host MemAvailable dropped %.0f MiB)%n", n,
          totalKiB / 1024.0, totalKiB / 1024.0 / n, (availBefore - availAfter) / 1024.0);
      return m;
    } finally {
      for (Instance inst : running) {
        clones.destroy(inst.name());
      }
    }
  }

  /** Asks the agent (a new connection) which runtime it runs: the clone really is alive. */
  private static void verifyRuntime(Instance inst, String runtime) throws InterruptedException {
    try (AgentClient c = AgentClient.connect(inst.agentSocket(), Duration.ofSeconds(30))) {
      AgentMessages.Status st = c.ping(Duration.ofSeconds(30));
      if (!runtime.equals(st.runtime()) || !st.runtimeReady()) {
        throw new IllegalStateException(inst.name() + " answers runtime " + st.runtime() + " ready=" + st.runtimeReady());
      }
    }
  }

  /**
   * Stops pre-creating, destroys every domain named bench-faaster-... and deletes the templates'
   * files. Runs once (from main's finally or the shutdown hook, whichever comes first).
   */
  void cleanUp() {
    if (!cleanedUp.compareAndSet(false, true)) {
      return;
    }
    try {
      clones.close();
    } catch (RuntimeException e) {
      System.err.println("cleanup: closing the clone factory: " + e.getMessage());
    }
    destroyLeftovers();
    for (TemplateImage t : List.copyOf(templates)) {
      builder.delete(t);
    }
  }

  /** Destroys every domain named bench-faaster-... and deletes our per-domain files. */
  void destroyLeftovers() {
    // A second pass catches a domain the main thread created while a shutdown hook listed.
    for (int pass = 0; pass < 2; pass++) {
      try {
        for (DomainRef d : hv.list(PREFIX)) {
          try {
            hv.destroy(d.name());
          } catch (RuntimeException e) {
            System.err.println("cleanup: destroying " + d.name() + ": " + e.getMessage());
          }
        }
      } catch (RuntimeException e) {
        System.err.println("cleanup: listing domains: " + e.getMessage());
      }
    }
    for (Path dir : new Path[] {settings.runDir(), settings.shmDir()}) {
      if (!Files.isDirectory(dir)) {
        continue;
      }
      try (Stream<Path> files = Files.list(dir)) {
        files.filter(p -> p.getFileName().toString().startsWith(PREFIX)).forEach(p -> {
          try {
            Files.deleteIfExists(p);
          } catch (IOException ignored) {
            // best effort
          }
        });
      } catch (IOException e) {
        System.err.println("cleanup: " + dir + ": " + e.getMessage());
      }
    }
  }

  private static void print(String label, List<Double> values) {
    System.out.printf("  %-34s %10.1f %10.1f%n", label, Percentiles.percentile(values, 50),
        Percentiles.percentile(values, 99));
  }

  private static long memAvailableKiB() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
      if (line.startsWith("MemAvailable:")) {
        return Long.parseLong(line.substring(13).trim().split("\\s+")[0]);
      }
    }
    return 0;
  }

  private static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).strip();
    } catch (IOException e) {
      return "?";
    }
  }

  private static String firstLine(String... command) {
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
      p.waitFor();
      return out.lines().findFirst().orElse("?");
    } catch (IOException e) {
      return "?";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "?";
    }
  }

  private static int intEnv(String name, int fallback) {
    String v = System.getenv(name);
    return v == null || v.isBlank() ? fallback : Integer.parseInt(v.trim());
  }

  private static double millis(Duration d) {
    return d.toNanos() / 1e6;
  }

  private static double ms(long nanos) {
    return nanos / 1e6;
  }
}

package dev.faaster.activities.vm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.faaster.registry.InstanceRecord;
import dev.faaster.registry.InstanceRepository;
import dev.faaster.registry.TemplateRecord;
import dev.faaster.registry.TemplateRepository;
import dev.faaster.vm.AgentConnections;
import dev.faaster.vm.AgentReadiness;
import dev.faaster.vm.CloneFactory;
import dev.faaster.vm.DomainRef;
import dev.faaster.vm.Hypervisor;
import dev.faaster.vm.TemplateImage;
import dev.faaster.vm.VmDefinition;
import dev.faaster.vm.VmSettings;
import dev.faaster.workflows.instance.InstanceHandle;
import dev.faaster.workflows.template.BuiltTemplate;
import dev.faaster.workflows.template.TemplateInputs;
import dev.faaster.workflows.template.TemplateResult;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import io.micronaut.test.support.TestPropertyProvider;
import jakarta.inject.Inject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's reconciler on real QEMU, with the real template, instance and reconciler beans: a
 * worker killed in the middle of a restore (a separate JVM, SIGKILLed) and a clone factory dropped
 * without destroying what it restored both leave domains no instance record names; one pass
 * destroys them and spares the recorded instance and a clone this process is still restoring. A
 * recorded instance whose domain was destroyed behind the platform's back becomes LOST.
 */
@ExtendWith(NodeStack.class)
@MicronautTest(environments = "test")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class VmReconcilerIT implements TestPropertyProvider {

  private static final Logger LOG = LoggerFactory.getLogger(VmReconcilerIT.class);
  static final Duration AGENT = Duration.ofSeconds(30);

  final String prefix = NodeStack.uniquePrefix();
  final String nodeId = "it-node-" + prefix.substring("faaster-it-".length(), prefix.length() - 1);
  final Path runDir = Path.of("/tmp", prefix.substring(0, prefix.length() - 1));
  final Path shmDir = Path.of("/dev/shm", prefix.substring(0, prefix.length() - 1));

  @Inject LibvirtTemplateActivities templateActivities;
  @Inject TemplateRegistryActivitiesImpl templateRegistry;
  @Inject LibvirtInstanceActivities instanceActivities;
  @Inject VmReconciler reconciler;
  @Inject InstanceRepository instances;
  @Inject TemplateRepository templateRecords;
  @Inject NodeTemplates nodeTemplates;
  @Inject CloneFactory clones;
  @Inject AgentConnections connections;
  @Inject Hypervisor hypervisor;
  @Inject VmSettings settings;

  String templateId;
  TemplateImage template;
  final List<String> instanceIds = new ArrayList<>();

  @Override
  public Map<String, String> getProperties() {
    Path root = NodeStack.repositoryRoot();
    Map<String, String> p = new HashMap<>();
    p.put("faaster.roles", "node");
    p.put("faaster.node.id", nodeId);
    p.put("faaster.node.image-builder", root.resolve("infra/guest/build-image.sh").toString());
    p.put("faaster.node.images-dir", root.resolve(".data/images").toString());
    // Only this test's reconcile() calls run: the scheduled pass would first come in an hour.
    p.put("faaster.node.reconcile-interval", "1h");
    p.put("faaster.vm.uri", NodeStack.URI);
    p.put("faaster.vm.name-prefix", prefix);
    p.put("faaster.vm.run-dir", runDir.toString());
    p.put("faaster.vm.shm-dir", shmDir.toString());
    p.put("faaster.vm.share-dir", runDir.resolve("shares").toString());
    p.put("faaster.vm.pool-size", "0");
    p.put("faaster.vm.boot-timeout", "240s");
    p.put("faaster.vm.restore-timeout", "90s");
    p.put("datasources.default.url",
        "jdbc:h2:mem:" + nodeId + ";MODE=MySQL;DATABASE_TO_LOWER=TRUE;DB_CLOSE_DELAY=-1");
    return p;
  }

  @BeforeAll
  void buildTemplate() {
    long t0 = System.nanoTime();
    TemplateInputs inputs = templateActivities.describeInputs("provided");
    long described = System.nanoTime();
    templateId = UUID.randomUUID().toString();
    BuiltTemplate built = templateActivities.bootAndSnapshot(templateId, inputs);
    templateRegistry.recordTemplate(nodeId, templateId, inputs, built);
    LOG.info("template {}: inputs described in {} ms (image builder), booted and saved in {} ms (boot {} ms)", templateId,
        (described - t0) / 1_000_000, (System.nanoTime() - described) / 1_000_000, built.bootMillis());
    TemplateResult ready = templateRegistry.findReady(nodeId, "provided", inputs.inputsDigest());
    assertThat(ready).isNotNull();
    assertThat(ready.templateId()).isEqualTo(templateId);
    assertThat(templateActivities.holdsTemplate(templateId)).isTrue();
    template = nodeTemplates.get(templateId).orElseThrow();
  }

  @AfterAll
  void tearDown() {
    try {
      for (String id : instanceIds) {
        instanceActivities.destroy(id);
      }
      if (templateId != null) {
        templateActivities.deleteTemplate(templateId);
      }
    } finally {
      NodeStack.cleanUp(hypervisor, prefix, runDir, shmDir);
    }
  }

  @Test
  void aWorkerKilledMidRestoreLeavesNoOrphanOnceTheReconcilerRuns() throws Exception {
    InstanceHandle recorded = create();

    // 1. A worker JVM restoring clones, SIGKILLed as soon as its first domain exists.
    Set<String> before = names(settings.clonePrefix());
    Path log = Files.createTempFile("restoring-worker", ".log");
    Process worker = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), RestoringWorker.class.getName(),
        settings.uri(), settings.runDir().toString(), settings.shmDir().toString(), settings.namePrefix(), templateId,
        settings.shareDir().toString())
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    String killedMidRestore;
    String stateWhenKilled;
    try {
      killedMidRestore = awaitNewDomain(before, worker, log);
      worker.destroyForcibly();
      assertThat(worker.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
      stateWhenKilled = qemuStatus(killedMidRestore);
    } finally {
      worker.destroyForcibly();
    }
    LOG.info("worker killed (exit {}) while restoring {}: its QEMU is {}; worker said: {}", worker.exitValue(),
        killedMidRestore, stateWhenKilled, Files.readString(log).strip().replace('\n', '|'));

    // 2. A clone factory of a "dead process": restored a clone, never recorded or destroyed it.
    String dropped = null;
    try {
      dropped = new CloneFactory(hypervisor, new AgentReadiness(), settings).restore(template).name();

      // 3. A clone this process is restoring right now (no record yet): owned, so not an orphan.
      Set<String> owned = clones.liveNames();
      clones.prewarm(template, 1);
      Set<String> inFlight = new HashSet<>(clones.liveNames());
      inFlight.removeAll(owned);
      assertThat(inFlight).hasSize(1).doesNotContain(recorded.domainName(), killedMidRestore, dropped);

      Set<String> orphans = Set.of(killedMidRestore, dropped);
      Map<String, Long> orphanPids = new HashMap<>();
      for (String name : orphans) {
        OptionalLong pid = hypervisor.qemuPid(name);
        assertThat(pid).as("QEMU of %s runs", name).isPresent();
        orphanPids.put(name, pid.getAsLong());
      }
      assertThat(names(settings.namePrefix())).containsAll(orphans).contains(recorded.domainName()).containsAll(inFlight);

      // The code share of a domain that is gone, left by a process that died before deleting it.
      Path strayShare = Files.createDirectories(settings.shareDir().resolve(settings.clonePrefix() + "gone0000"));
      Files.writeString(strayShare.resolve("bootstrap"), "#!/bin/sh\n");
      for (String name : orphans) {
        assertThat(settings.paths(name).codeShare()).as("share of %s", name).isDirectory();
      }

      long t0 = System.nanoTime();
      VmReconciler.Result result = reconciler.reconcile();
      LOG.info("reconcile: destroyed {}, lost {} in {} ms", result.destroyed(), result.lost(), (System.nanoTime() - t0) / 1_000_000);

      assertThat(result.destroyed()).containsExactlyInAnyOrderElementsOf(orphans);
      assertThat(result.lost()).isEmpty();
      assertThat(names(settings.namePrefix())).doesNotContainAnyElementsOf(orphans)
          .contains(recorded.domainName()).containsAll(inFlight);
      for (Map.Entry<String, Long> e : orphanPids.entrySet()) {
        assertThat(ProcessHandle.of(e.getValue()).map(ProcessHandle::isAlive).orElse(false))
            .as("QEMU %d of orphan %s", e.getValue(), e.getKey()).isFalse();
      }
      assertThat(strayShare).as("a share without a domain").doesNotExist();
      for (String name : orphans) {
        assertThat(settings.paths(name).codeShare()).as("share of orphan %s", name).doesNotExist();
      }
      assertThat(settings.paths(recorded.domainName()).codeShare()).as("share of a recorded instance").isDirectory();
      assertThat(instances.findById(recorded.instanceId()).orElseThrow().state()).isEqualTo(InstanceRecord.READY);
      // Through the node's own connection: an agent port takes one host at a time, and the node
      // keeps its connection to a running instance.
      assertThat(connections.acquire(socketOf(recorded), AGENT).ping(AGENT).instanceId())
          .isEqualTo(recorded.instanceId());
      clones.discard(template);
      assertThat(clones.liveNames()).doesNotContainAnyElementsOf(inFlight);
    } finally {
      clones.discard(template);
      // Whatever a failed assertion left behind must not become the next test's orphan.
      hypervisor.destroy(killedMidRestore);
      if (dropped != null) {
        hypervisor.destroy(dropped);
      }
    }
  }

  @Test
  void aRecordWhoseDomainWasDestroyedBehindThePlatformsBackBecomesLost() throws Exception {
    InstanceHandle vanished = create();
    InstanceHandle kept = create();
    assertThat(hypervisor.destroy(vanished.domainName())).isTrue();

    VmReconciler.Result result = reconciler.reconcile();
    LOG.info("reconcile: destroyed {}, lost {}", result.destroyed(), result.lost());

    assertThat(result.lost()).containsExactly(vanished.instanceId());
    assertThat(result.destroyed()).isEmpty();
    assertThat(instances.findById(vanished.instanceId()).orElseThrow().state()).isEqualTo(InstanceRecord.LOST);
    assertThat(instances.findById(kept.instanceId()).orElseThrow().state()).isEqualTo(InstanceRecord.READY);
    assertThat(instanceActivities.list()).contains(kept.instanceId()).doesNotContain(vanished.instanceId());
    assertThat(names(settings.namePrefix())).contains(kept.domainName()).doesNotContain(vanished.domainName());

    // A second pass finds nothing new.
    VmReconciler.Result again = reconciler.reconcile();
    assertThat(again.destroyed()).isEmpty();
    assertThat(again.lost()).isEmpty();
  }

  /**
   * A template a newer build of its runtime retired (as `./faaster up` after an image change
   * leaves one): its files go on the second pass that finds it retired, the current template stays.
   */
  @Test
  void aRetiredTemplatesFilesAreDeletedOnThePassAfterTheOneThatFoundItRetired() throws Exception {
    String oldId = UUID.randomUUID().toString();
    Path mem = Files.write(shmDir.resolve(oldId + ".mem"), new byte[4096]);
    Path state = Files.write(shmDir.resolve(oldId + ".state"), new byte[512]);
    VmDefinition d = template.definition();
    TemplateImage old = new TemplateImage(oldId, "provided",
        new VmDefinition(d.accelerator(), d.flavor(), d.machine(), d.emulator(), d.kernel(), d.initramfs(), d.cmdline(),
            mem, d.network(), d.codeShare()),
        state, 512, template.qemuVersion(), "0".repeat(64), "0".repeat(64), Instant.now().minusSeconds(3600),
        Duration.ofSeconds(9), Duration.ofMillis(20), true);
    nodeTemplates.register(oldId, old);
    templateRecords.save(new TemplateRecord(oldId, nodeId, "provided", "old-inputs", "0".repeat(64), "0".repeat(64),
        template.qemuVersion(), d.machine(), d.accelerator().name(), d.flavor().memoryMiB(), mem.toString(),
        state.toString(), 512, 9000, TemplateRecord.READY, Instant.now().minusSeconds(3600)));
    assertThat(templateRecords.retireOthers(nodeId, "provided", templateId)).isEqualTo(1);

    VmReconciler.Result first = reconciler.reconcile();
    assertThat(first.templatesDeleted()).isEmpty();
    assertThat(mem).exists();
    VmReconciler.Result second = reconciler.reconcile();

    assertThat(second.templatesDeleted()).containsExactly(oldId);
    assertThat(mem).doesNotExist();
    assertThat(state).doesNotExist();
    assertThat(shmDir.resolve(oldId + ".json")).doesNotExist();
    assertThat(nodeTemplates.described()).contains(templateId).doesNotContain(oldId);
    assertThat(templateActivities.holdsTemplate(templateId)).isTrue();
    assertThat(template.memoryFile()).exists();
    assertThat(reconciler.reconcile().templatesDeleted()).isEmpty();
  }

  private InstanceHandle create() {
    String id = UUID.randomUUID().toString();
    instanceIds.add(id);
    InstanceHandle h = instanceActivities.createFromTemplate(id, templateId);
    InstanceRecord r = instances.findById(id).orElseThrow();
    assertThat(r.state()).isEqualTo(InstanceRecord.READY);
    assertThat(r.nodeId()).isEqualTo(nodeId);
    assertThat(r.domainName()).isEqualTo(h.domainName()).startsWith(settings.clonePrefix());
    LOG.info("instance {} is {} (restored in {} ms)", id, h.domainName(), h.restoreMillis());
    return h;
  }

  private Path socketOf(InstanceHandle h) {
    return dev.faaster.vm.DomainPaths.of(settings.runDir(), h.domainName()).agentSocket();
  }

  private Set<String> names(String namePrefix) {
    return hypervisor.list(namePrefix).stream().map(DomainRef::name).collect(Collectors.toSet());
  }

  /** The first clone domain not in {@code before}, polled every few milliseconds for up to 2 minutes. */
  private String awaitNewDomain(Set<String> before, Process worker, Path log) throws InterruptedException, IOException {
    long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
    while (System.nanoTime() - deadline < 0) {
      for (DomainRef d : hypervisor.list(settings.clonePrefix())) {
        if (!before.contains(d.name())) {
          return d.name();
        }
      }
      if (!worker.isAlive()) {
        throw new AssertionError("the worker exited (" + worker.exitValue() + ") before restoring: " + Files.readString(log));
      }
      Thread.sleep(5);
    }
    throw new AssertionError("the worker created no domain within 2 minutes: " + Files.readString(log));
  }

  private String qemuStatus(String name) {
    try {
      String reply = hypervisor.qmp(name, "{\"execute\":\"query-status\"}");
      return reply.replaceAll(".*\"status\"\\s*:\\s*\"([^\"]+)\".*", "$1");
    } catch (RuntimeException e) {
      return "unknown (" + e.getMessage() + ")";
    }
  }
}

package dev.faaster.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CloneFactoryTest {

  @TempDir Path dir;
  FakeHypervisor hv;
  VmSettings settings;
  TemplateImage template;
  CloneFactory factory;

  static VmSettings settings(Path dir) {
    return new VmSettings("fake:///", dir.resolve("run"), dir.resolve("shm"), VmDefinition.DEFAULT_EMULATOR,
        "faaster-", "tcg", dir.resolve("accel.properties"), Duration.ofSeconds(2), Duration.ofSeconds(5),
        Duration.ofSeconds(2), Duration.ofSeconds(5), 0, false, 128, null);
  }

  @BeforeEach
  void setUp() throws Exception {
    hv = new FakeHypervisor();
    settings = settings(dir);
    Files.createDirectories(settings.shmDir());
    Path mem = Files.write(settings.shmDir().resolve("t.mem"), new byte[16]);
    byte[] state = new byte[200_000];
    new java.util.Random(1).nextBytes(state);
    Path st = Files.write(settings.shmDir().resolve("t.state"), state);
    VmDefinition def = new VmDefinition(Accelerator.TCG, Flavor.SMALL, "pc-i440fx-7.2", VmDefinition.DEFAULT_EMULATOR,
        Path.of("/k"), Path.of("/i"), "console=ttyS0", mem, false);
    template = new TemplateImage("faaster-t-000000000001", "provided", def, st, state.length, "7.2.22", "k", "i",
        Instant.now(), Duration.ofSeconds(5), Duration.ofMillis(20), true);
    factory = new CloneFactory(hv, (socket, timeout) -> { }, settings);
  }

  @AfterEach
  void tearDown() {
    factory.close();
  }

  @Test
  void restoresDistinctInstancesFromPrecreatedClones() throws Exception {
    factory.prewarm(template, 5);
    assertThat(factory.pending(template)).isEqualTo(5);
    assertThat(hv.domains.values()).allSatisfy(d -> assertThat(d.status).isEqualTo("inmigrate"));

    ExecutorService ex = Executors.newFixedThreadPool(5);
    List<Future<Instance>> futures = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      futures.add(ex.submit(() -> factory.restore(template)));
    }
    List<Instance> instances = new ArrayList<>();
    for (Future<Instance> f : futures) {
      instances.add(f.get());
    }
    ex.shutdown();

    assertThat(instances).extracting(i -> i.identity().name()).doesNotHaveDuplicates();
    assertThat(instances).extracting(i -> i.identity().uuid()).doesNotHaveDuplicates();
    assertThat(instances).extracting(i -> i.identity().mac()).doesNotHaveDuplicates();
    assertThat(instances).allSatisfy(i -> {
      assertThat(i.timings().pooled()).isTrue();
      assertThat(i.templateId()).isEqualTo(template.id());
      FakeHypervisor.FakeDomain d = hv.domains.get(i.name());
      assertThat(d.stateReceived).isEqualTo(template.stateBytes());
      assertThat(d.status).isEqualTo("running");
      assertThat(i.timings().loaded()).isLessThanOrEqualTo(i.timings().resumed());
      assertThat(i.timings().resumed()).isLessThanOrEqualTo(i.timings().agentAnswered());
    });
    assertThat(factory.pending(template)).isZero();

    for (Instance i : instances) {
      assertThat(factory.destroy(i.name())).isTrue();
    }
    assertThat(hv.list("faaster-")).isEmpty();
  }

  @Test
  void clonesSetIgnoreSharedAndListenBeforeTheRestore() {
    factory.prewarm(template, 1);
    String name = hv.created.get(0);
    assertThat(hv.commands).containsExactly(name + " migrate-set-capabilities", name + " cont", name + " migrate-incoming");
  }

  @Test
  void restoreWithAnEmptyPoolCreatesACloneOnTheColdPath() {
    Instance i = factory.restore(template);
    assertThat(i.timings().pooled()).isFalse();
    assertThat(hv.domains).containsKey(i.name());
  }

  @Test
  void poolIsRefilledInTheBackgroundAfterARestore() throws Exception {
    factory.close();
    factory = new CloneFactory(hv, (socket, timeout) -> { }, settings.withPoolSize(2));
    factory.prewarm(template, 2);
    factory.restore(template);
    long deadline = System.nanoTime() + 15_000_000_000L; // bounded; the refill waits out COLD_PATH_GRACE
    while (factory.pending(template) < 2 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(factory.pending(template)).isEqualTo(2);
  }

  @Test
  void theRefillWaitsUntilTheColdStartThatTookACloneIsDone() throws Exception {
    factory.close();
    factory = new CloneFactory(hv, (socket, timeout) -> { }, settings.withPoolSize(2));
    factory.prewarm(template, 2);
    factory.restore(template);

    // Held back (for at most CloneFactory.COLD_PATH_GRACE, far longer than this wait).
    Thread.sleep(300);
    assertThat(factory.pending(template)).isEqualTo(1);
    assertThat(factory.refilling()).isTrue();

    factory.coldPathDone();
    long deadline = System.nanoTime() + 15_000_000_000L;
    while ((factory.pending(template) < 2 || factory.refilling()) && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(factory.pending(template)).isEqualTo(2);
    assertThat(factory.refilling()).isFalse();
  }

  @Test
  void stateThatNeverLoadsFailsTheRestoreWithinTheBoundAndDestroysTheClone() {
    hv.incomingFault = "hang";
    factory.prewarm(template, 1);
    String name = hv.created.get(0);

    long t0 = System.nanoTime();
    assertThatThrownBy(() -> factory.restore(template))
        .isInstanceOf(RestoreException.class)
        .hasMessageContaining("state not loaded within");
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(settings.restoreTimeout().plusSeconds(2));
    assertThat(hv.destroyed).contains(name);
    assertThat(hv.domains).isEmpty();
  }

  @Test
  void cloneThatDiesWhileLoadingFailsTheRestore() {
    hv.incomingFault = "die";
    assertThatThrownBy(() -> factory.restore(template))
        .isInstanceOf(RestoreException.class)
        .hasMessageContaining("QEMU exited while loading");
    assertThat(hv.domains).isEmpty();
  }

  @Test
  void restoreOfARunningTemplateSendsNoMonitorCommand() {
    factory.prewarm(template, 1);
    hv.commands.clear();
    Instance i = factory.restore(template);
    assertThat(hv.commands).isEmpty();
    assertThat(hv.domains.get(i.name()).status).isEqualTo("running");
  }

  @Test
  void restoreOfAPausedTemplateResumesTheClone() {
    hv.savedRunning = false;
    TemplateImage paused = new TemplateImage(template.id(), template.runtime(), template.definition(),
        template.stateFile(), template.stateBytes(), template.qemuVersion(), "k", "i", template.builtAt(),
        template.bootToAgent(), template.save(), false);
    factory.prewarm(paused, 1);
    String name = hv.created.get(0);
    hv.commands.clear();
    Instance i = factory.restore(paused);
    assertThat(hv.commands).containsExactly(name + " cont");
    assertThat(hv.domains.get(i.name()).status).isEqualTo("running");
  }

  @Test
  void cloneWhoseQemuDoesNotListenFailsWithinTheBound() {
    hv.onQmp = c -> c[1].equals("migrate-incoming") ? "{\"return\":{}}" : null; // accepted, but nobody listens
    long t0 = System.nanoTime();
    assertThatThrownBy(() -> factory.restore(template))
        .isInstanceOf(RestoreException.class)
        .hasMessageContaining("cannot connect");
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(settings.restoreTimeout().plusSeconds(2));
    assertThat(hv.domains).isEmpty();
  }

  @Test
  void agentThatNeverAnswersFailsTheRestoreAndDestroysTheClone() {
    factory.close();
    factory = new CloneFactory(hv, (socket, timeout) -> {
      throw new AgentException("no answer within " + timeout);
    }, settings);

    assertThatThrownBy(() -> factory.restore(template))
        .isInstanceOf(RestoreException.class)
        .hasMessageContaining("no answer");
    assertThat(hv.domains).isEmpty();
  }

  @Test
  void qmpErrorWhilePrecreatingDestroysTheHalfMadeClone() {
    hv.onQmp = c -> c[1].equals("migrate-set-capabilities")
        ? "{\"error\":{\"class\":\"GenericError\",\"desc\":\"nope\"}}" : null;
    assertThatThrownBy(() -> factory.prewarm(template, 1))
        .isInstanceOf(RestoreException.class)
        .hasMessageContaining("GenericError: nope");
    assertThat(hv.created).hasSize(1);
    assertThat(hv.domains).isEmpty();
  }

  @Test
  void aTemplateWithoutItsFilesIsRefusedBeforeAnyDomainIsCreated() throws Exception {
    Files.delete(template.memoryFile());
    assertThatThrownBy(() -> factory.restore(template)).isInstanceOf(RestoreException.class)
        .hasMessageContaining("no memory or state file");
    assertThat(hv.created).isEmpty();
  }

  @Test
  void closeDestroysPendingClonesButLeavesInstancesRunning() {
    factory.prewarm(template, 3);
    Instance running = factory.restore(template);
    factory.close();
    assertThat(hv.domains.keySet()).containsExactly(running.name());
  }

  @Test
  void theConnectionTheAgentAnsweredOnIsKeptForTheNextUserAndClosedOnDestroy() throws Exception {
    AgentConnections connections = new AgentConnections();
    java.util.Map<Path, FakeAgent> agents = new java.util.concurrent.ConcurrentHashMap<>();
    factory.close();
    factory = new CloneFactory(hv, guestsAnswering(agents), settings, connections, false);

    Instance instance = factory.restore(template);
    FakeAgent agent = agents.get(instance.agentSocket());
    AgentClient next = connections.acquire(instance.agentSocket(), Duration.ofSeconds(1));

    assertThat(next.ping(Duration.ofSeconds(1)).runtimeReady()).isTrue();
    assertThat(agent.accepted).as("host connections the guest saw").hasValue(1);

    factory.destroy(instance.name());
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (agent.ended.get() == 0 && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertThat(agent.ended).as("connections closed by destroy").hasValue(1);
    agent.close();
  }

  @Test
  void withRestoreAheadTheNextInstanceIsAlreadyRestoredAndItsIdentityPathRunOnce() throws Exception {
    AgentConnections connections = new AgentConnections();
    java.util.Map<Path, FakeAgent> agents = new java.util.concurrent.ConcurrentHashMap<>();
    factory.close();
    factory = new CloneFactory(hv, guestsAnswering(agents), settings.withPoolSize(1), connections, true);

    Instance first = factory.restore(template); // nothing waits yet: restored on the cold path
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (factory.restoredAhead(template) < 1 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(factory.restoredAhead(template)).isEqualTo(1);
    Instance second = factory.restore(template);

    assertThat(second.name()).isNotEqualTo(first.name());
    assertThat(second.timings().pooled()).isTrue();
    assertThat(second.timings().agentAnswered()).isZero();
    FakeAgent warmed = agents.get(second.agentSocket());
    assertThat(warmed.received).filteredOn(f -> f.type() == AgentFrame.SET_IDENTITY)
        .as("the placeholder identity that warmed it").hasSize(1);
    assertThat(warmed.received).filteredOn(f -> f.type() == AgentFrame.LOAD_CODE)
        .as("the placeholder function loaded, and loaded again over itself").hasSize(2);
    assertThat(warmed.received).filteredOn(f -> f.type() == AgentFrame.INVOKE)
        .as("and invoked once").hasSize(1);
    assertThat(agents.get(first.agentSocket()).received).noneMatch(f -> f.type() == AgentFrame.SET_IDENTITY);
    // Its connection is the one the next user gets: no reconnect on the cold path.
    assertThat(connections.acquire(second.agentSocket(), Duration.ofSeconds(1)).ping(Duration.ofSeconds(1)).runtimeReady())
        .isTrue();
    assertThat(warmed.accepted).hasValue(1);
    assertThat(factory.liveNames()).contains(first.name(), second.name());

    factory.close();
    assertThat(hv.domains).containsKeys(first.name(), second.name()); // instances are left running
    agents.values().forEach(a -> {
      try {
        a.close();
      } catch (java.io.IOException ignored) {
        // test teardown
      }
    });
  }

  @Test
  void aCloneConnectedAheadIsAskedOnThatConnectionWhichTheNextUserGets() throws Exception {
    AgentConnections connections = new AgentConnections();
    java.util.Map<Path, FakeAgent> agents = new java.util.concurrent.ConcurrentHashMap<>();
    factory.close();
    factory = new CloneFactory(hv, FakeAgent.probe(agents, true), settings, connections, false);

    factory.prewarm(template, 1);
    FakeAgent guest = agents.values().iterator().next();
    // The host's connect completes from the listen backlog; the fake counts it once it accepts.
    awaitCount(guest.accepted, 1);
    assertThat(guest.accepted).as("connected when the clone was created").hasValue(1);
    assertThat(guest.received).as("but asked nothing before its state is loaded").isEmpty();

    Instance instance = factory.restore(template);

    assertThat(agents).containsOnlyKeys(instance.agentSocket());
    assertThat(guest.received).extracting(AgentFrame::type).containsExactly(AgentFrame.READY);
    AgentClient next = connections.acquire(instance.agentSocket(), Duration.ofSeconds(1));
    assertThat(next.ping(Duration.ofSeconds(1)).runtimeReady()).isTrue();
    assertThat(guest.accepted).as("no reconnect: the restore and the next user used the same one").hasValue(1);
    factory.destroy(instance.name());
  }

  @Test
  void pendingClonesLetGoOfTheirConnectionsWhenClosedOrWhenTheirRestoreFails() throws Exception {
    java.util.Map<Path, FakeAgent> agents = new java.util.concurrent.ConcurrentHashMap<>();
    factory.close();
    factory = new CloneFactory(hv, FakeAgent.probe(agents, true), settings);
    factory.prewarm(template, 1);
    FakeAgent failing = agents.values().iterator().next();
    hv.incomingFault = "die";

    assertThatThrownBy(() -> factory.restore(template)).isInstanceOf(RestoreException.class);
    awaitCount(failing.ended, 1);
    assertThat(failing.ended).as("the failed clone's connection").hasValue(1);

    hv.incomingFault = null;
    factory.prewarm(template, 2);
    assertThat(agents).hasSize(3);
    factory.close();
    for (FakeAgent a : agents.values()) {
      awaitCount(a.ended, 1);
      assertThat(a.ended).as("each pending clone's connection after close").hasValue(1);
      a.close();
    }
  }

  /** Waits (bounded) for a counter the fake agent's own threads raise; the caller asserts it. */
  private static void awaitCount(java.util.concurrent.atomic.AtomicInteger counter, int n) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (counter.get() < n && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
  }

  /** A probe for factories that keep connections, connecting after the restore (see {@link FakeAgent#probe}). */
  static AgentProbe guestsAnswering(java.util.Map<Path, FakeAgent> agents) {
    return FakeAgent.probe(agents, false);
  }

  @Test
  void destroyIsIdempotent() {
    Instance i = factory.restore(template);
    assertThat(factory.destroy(i.name())).isTrue();
    assertThat(factory.destroy(i.name())).isFalse();
  }
}

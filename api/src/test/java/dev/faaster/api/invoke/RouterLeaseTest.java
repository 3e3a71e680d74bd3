package dev.faaster.api.invoke;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.faaster.api.RecordingColdStarter;
import dev.faaster.api.RecordingDeployWorkflowStarter;
import dev.faaster.api.RecordingInstanceRetirer;
import dev.faaster.api.RecordingInstanceRetirer.Retirement;
import dev.faaster.api.error.ApiException;
import dev.faaster.registry.FunctionVersion;
import dev.faaster.registry.RouterInstanceRecord;
import dev.faaster.registry.RouterInstanceRepository;
import dev.faaster.registry.RouterRecord;
import dev.faaster.registry.RouterRepository;
import dev.faaster.registry.SlotRepository;
import dev.faaster.workflows.coldstart.ColdStartFailureTypes;
import dev.faaster.workflows.coldstart.ColdStartRequest;
import dev.faaster.workflows.coldstart.ColdStartResult;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micronaut.context.annotation.Property;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The router's side of the lease against a real registry (its own H2 database): what it records
 * about its instances and when, and what its graceful shutdown leaves behind. The cold start, the
 * guest and the retirement are doubles; the clock is driven.
 */
@MicronautTest(transactional = false)
@Property(name = "spec.name", value = RecordingDeployWorkflowStarter.SPEC)
@Property(name = "datasources.default.url", value = OrphanReconcilerTest.DATABASE)
@Property(name = "faaster.invocations.router-heartbeat", value = "1h")
@Property(name = "faaster.invocations.router-reconcile-interval", value = "1h")
class RouterLeaseTest {

  static final byte[] EVENT = "{}".getBytes(StandardCharsets.UTF_8);
  static final InvocationSettings SETTINGS =
      new InvocationSettings(1, 100, 1000, Duration.ofMinutes(10), Duration.ofSeconds(30), 6 << 20, true, true,
          Duration.ofSeconds(10), Duration.ofSeconds(1), Duration.ofSeconds(5));

  @Inject RouterRepository routers;
  @Inject RouterInstanceRepository instances;
  @Inject SlotRepository slots;

  DrivenClock clock;
  RecordingInstanceRetirer retirer;
  ColdStarts coldStarts;
  RouterLease lease;
  InvocationRouter router;

  @BeforeEach
  void router() {
    instances.deleteAll();
    routers.deleteAll();
    clock = new DrivenClock(Instant.parse("2030-01-01T00:00:00Z"));
    retirer = new RecordingInstanceRetirer();
    lease = new RouterLease(UUID.randomUUID().toString(), "test", routers, instances, clock);
    lease.register(clock.instant());
    coldStarts = new ColdStarts(lease);
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    router = new InvocationRouter(
        coldStarts, new EchoInvoker(), retirer, lease, SETTINGS, new InvocationMetrics(meters), meters, clock);
  }

  @AfterEach
  void closeRouter() {
    coldStarts.releaseHeld();
    router.close();
  }

  @Test
  void anInstanceIsOwnedBeforeItsColdStartIsAskedForAndGetsItsNodeOnceReady() {
    InvocationResult result = router.invoke(target("fn-1", 1), EVENT);

    assertThat(result.instanceId()).isNotBlank();
    assertThat(coldStarts.ownedAtStart).as("rows of this router when the cold start was asked for")
        .containsExactly(List.of(result.instanceId()));
    assertThat(lease.owned()).containsExactly(
        new RouterInstanceRecord(result.instanceId(), lease.id(), RecordingColdStarter.NODE, "fn-1", 1, clock.instant()));
  }

  @Test
  void aFailedColdStartLeavesNoRow() {
    coldStarts.failNext();

    Throwable thrown = catchThrowable(() -> router.invoke(target("fn-1", 1), EVENT));

    assertThat(thrown).isInstanceOf(ApiException.class);
    assertThat(coldStarts.ownedAtStart).hasSize(1);
    assertThat(lease.owned()).isEmpty();
  }

  @Test
  void anUnsettledColdStartIsHandedToTheOrphanReconcilerNotForgotten() {
    coldStarts.failNextUnsettled();

    Throwable thrown = catchThrowable(() -> router.invoke(target("fn-1", 1), EVENT));

    assertThat(thrown).isInstanceOf(ApiException.class);
    String instanceId = coldStarts.ownedAtStart.get(0).get(0);
    assertThat(lease.owned()).isEmpty();
    assertThat(instances.findOrphaned()).extracting(RouterInstanceRecord::instanceId, RouterInstanceRecord::routerId)
        .containsExactly(org.assertj.core.groups.Tuple.tuple(instanceId, RouterLease.ABANDONED));
  }

  @Test
  void anInstanceHandedToTheRetirerIsForgotten() {
    InvocationResult result = router.invoke(target("fn-1", 1), EVENT);

    router.retireFunction("fn-1");

    assertThat(retirer.retirements())
        .containsExactly(new Retirement(result.instanceId(), RecordingColdStarter.NODE, "function-deleted"));
    assertThat(lease.owned()).isEmpty();
  }

  @Test
  void gracefulShutdownRetiresThePoolAndTheNextRouterLeavesNothingBehind() {
    InvocationResult a = router.invoke(target("fn-1", 1), EVENT);
    InvocationResult b = router.invoke(target("fn-2", 3), EVENT);

    router.close();

    assertThat(retirer.retirements()).containsExactlyInAnyOrder(
        new Retirement(a.instanceId(), RecordingColdStarter.NODE, InvocationRouter.SHUTDOWN),
        new Retirement(b.instanceId(), RecordingColdStarter.NODE, InvocationRouter.SHUTDOWN));
    assertThat(router.instanceIds("fn-1", 1)).isEmpty();
    assertThat(routers.findById(lease.id())).map(RouterRecord::state).contains(RouterRecord.GONE);
    // The retirer may not get its starts out before the process exits: the rows stay for the next router.
    assertThat(lease.owned()).extracting(RouterInstanceRecord::instanceId)
        .containsExactlyInAnyOrder(a.instanceId(), b.instanceId());

    RouterLease next = new RouterLease(UUID.randomUUID().toString(), "test", routers, instances, clock);
    next.register(clock.instant());
    ScriptedColdStartProbe probe = new ScriptedColdStartProbe();
    probe.set(a.instanceId(), ColdStartState.completed(RecordingColdStarter.NODE));
    probe.set(b.instanceId(), ColdStartState.completed(RecordingColdStarter.NODE));
    OrphanReconciler reconciler = new OrphanReconciler(routers, instances, next, probe, retirer, OrphanReconcilerTest.SETTINGS, slots, clock);

    OrphanReconciler.Result result = reconciler.reconcile(clock.instant());

    assertThat(result.retired()).as("GONE at once, no lease to wait out").containsExactlyInAnyOrder(a.instanceId(), b.instanceId());
    assertThat(instances.count()).isZero();
  }

  @Test
  void anInstanceStillStartingAtShutdownIsLeftToTheReconciler() {
    coldStarts.hold();
    Thread invocation = new Thread(() -> catchThrowable(() -> router.invoke(target("fn-1", 1), EVENT)));
    invocation.start();
    String starting = coldStarts.awaitStart().instanceId();

    router.close();

    assertThat(retirer.retirements()).isEmpty();
    assertThat(routers.findById(lease.id())).map(RouterRecord::state).contains(RouterRecord.GONE);
    assertThat(instances.findOrphaned()).extracting(RouterInstanceRecord::instanceId).containsExactly(starting);
  }

  // ---- fixtures

  private static InvocationTarget target(String functionId, int version) {
    FunctionVersion v = new FunctionVersion(
        UUID.randomUUID().toString(), "tenant-1", functionId, "deployment-1", version, "sha", 1, "key", "provided", null,
        128, 3, "{}", "{}", null, Instant.EPOCH);
    return new InvocationTarget("tenant-1", "tenant", functionId, "fn-" + functionId, v, Map.of(), true, 10);
  }

  /**
   * Answers with a ready instance at once (or, held, when released); notes which instances the
   * router owned in the registry at the moment each start was asked for.
   */
  static final class ColdStarts implements ColdStarter {

    final List<List<String>> ownedAtStart = new CopyOnWriteArrayList<>();
    private final RouterLease lease;
    private final Queue<ColdStartRequest> started = new ConcurrentLinkedQueue<>();
    private final Queue<CompletableFuture<ColdStartResult>> held = new ConcurrentLinkedQueue<>();
    private volatile boolean hold;
    private volatile boolean failNext;
    private volatile boolean failNextUnsettled;

    ColdStarts(RouterLease lease) {
      this.lease = lease;
    }

    @Override
    public CompletionStage<ColdStartResult> start(ColdStartRequest request, String tenantName) {
      ownedAtStart.add(lease.owned().stream().map(RouterInstanceRecord::instanceId).toList());
      started.add(request);
      if (failNext) {
        failNext = false;
        return CompletableFuture.failedFuture(
            new ColdStartFailedException(ColdStartFailureTypes.NO_CAPACITY, "no free slot", null));
      }
      if (failNextUnsettled) {
        failNextUnsettled = false;
        return CompletableFuture.failedFuture(
            new ColdStartFailedException(null, "the workflow service did not accept the cold start", null, true));
      }
      if (hold) {
        CompletableFuture<ColdStartResult> pending = new CompletableFuture<>();
        held.add(pending);
        return pending;
      }
      return CompletableFuture.completedFuture(RecordingColdStarter.result(request));
    }

    void failNextUnsettled() {
      failNextUnsettled = true;
    }

    void failNext() {
      failNext = true;
    }

    void hold() {
      hold = true;
    }

    /** Fails every held start (the test is over). */
    void releaseHeld() {
      CompletableFuture<ColdStartResult> next;
      while ((next = held.poll()) != null) {
        next.completeExceptionally(new ColdStartFailedException(null, "test over", null));
      }
    }

    ColdStartRequest awaitStart() {
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (started.isEmpty() && System.nanoTime() < deadline) {
        Thread.onSpinWait();
      }
      assertThat(started).as("a cold start was asked for").isNotEmpty();
      return started.peek();
    }
  }

  /** Answers every event with itself; its guests never die. */
  static final class EchoInvoker implements InstanceInvoker {
    @Override
    public InvocationOutcome invoke(ColdStartResult instance, byte[] event, Duration timeout, String invocationId) {
      return InvocationOutcome.ok(event, 1.0);
    }

    @Override
    public boolean healthy(ColdStartResult instance, Duration timeout) {
      return true;
    }

    @Override
    public void discard(String instanceId) {}
  }
}

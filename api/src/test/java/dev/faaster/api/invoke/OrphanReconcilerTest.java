package dev.faaster.api.invoke;

import static org.assertj.core.api.Assertions.assertThat;

import dev.faaster.api.RecordingDeployWorkflowStarter;
import dev.faaster.api.RecordingInstanceRetirer;
import dev.faaster.api.RecordingInstanceRetirer.Retirement;
import dev.faaster.registry.NodeRecord;
import dev.faaster.registry.NodeRepository;
import dev.faaster.registry.RouterInstanceRecord;
import dev.faaster.registry.RouterInstanceRepository;
import dev.faaster.registry.RouterRecord;
import dev.faaster.registry.RouterRepository;
import dev.faaster.registry.SlotRecord;
import dev.faaster.registry.SlotRepository;
import io.micronaut.context.annotation.Property;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The orphan reconciler against a real registry (its own H2 database), with a driven clock and
 * doubles for the cold start lookup and the retirer. Every router and instance is made by the test
 * (the tables are emptied before each); the context's own heartbeat and reconciler stay out of the
 * way (their schedules are an hour).
 */
@MicronautTest(transactional = false)
@Property(name = "spec.name", value = RecordingDeployWorkflowStarter.SPEC)
@Property(name = "datasources.default.url", value = OrphanReconcilerTest.DATABASE)
@Property(name = "faaster.invocations.router-heartbeat", value = "1h")
@Property(name = "faaster.invocations.router-reconcile-interval", value = "1h")
class OrphanReconcilerTest {

  static final String DATABASE = "jdbc:h2:mem:routerleases;MODE=MySQL;DATABASE_TO_LOWER=TRUE;DB_CLOSE_DELAY=-1";
  static final Duration LEASE = Duration.ofSeconds(30);
  static final RouterLeaseSettings SETTINGS =
      new RouterLeaseSettings(Duration.ofSeconds(5), LEASE, Duration.ofSeconds(15), Duration.ofHours(1));

  @Inject RouterRepository routers;
  @Inject RouterInstanceRepository instances;
  @Inject NodeRepository nodes;
  @Inject SlotRepository slots;

  DrivenClock clock;
  ScriptedColdStartProbe probe;
  RecordingInstanceRetirer retirer;
  RouterLease dead;
  RouterLease live;
  OrphanReconciler reconciler;

  @BeforeEach
  void routers() {
    // The database is this class's own: each test starts from empty tables.
    instances.deleteAll();
    routers.deleteAll();
    slots.deleteAll();
    nodes.deleteAll();
    clock = new DrivenClock(Instant.parse("2030-01-01T00:00:00Z"));
    probe = new ScriptedColdStartProbe();
    retirer = new RecordingInstanceRetirer();
    dead = lease("dead");
    live = lease("live");
    dead.register(clock.instant());
    live.register(clock.instant());
    reconciler = reconciler(live);
  }

  @Test
  void aDeadRoutersReadyInstancesAreRetiredAsOrphanedAndForgotten() {
    String a = ownedAndStarted(dead, "node-1");
    String b = ownedAndStarted(dead, "node-2");
    probe.set(a, ColdStartState.completed("node-1"));
    probe.set(b, ColdStartState.completed("node-2"));

    OrphanReconciler.Result result = passAfterTheLease();

    assertThat(result.goneRouters()).contains(dead.id()).doesNotContain(live.id());
    assertThat(routers.findById(dead.id())).map(RouterRecord::state).contains(RouterRecord.GONE);
    assertThat(result.retired()).containsExactlyInAnyOrder(a, b);
    assertThat(retirer.retirements())
        .containsExactlyInAnyOrder(new Retirement(a, "node-1", "orphaned"), new Retirement(b, "node-2", "orphaned"));
    assertThat(instances.existsById(a)).isFalse();
    assertThat(instances.existsById(b)).isFalse();
  }

  @Test
  void anInstanceWhoseColdStartStillRunsIsRetiredOnlyOnceItCompleted() {
    String starting = UUID.randomUUID().toString();
    dead.own(starting, "fn-1", 1);
    probe.set(starting, ColdStartState.running());

    OrphanReconciler.Result first = passAfterTheLease();

    assertThat(first.waiting()).containsExactly(starting);
    assertThat(retirer.retirements()).isEmpty();
    assertThat(instances.findById(starting)).map(RouterInstanceRecord::routerId).contains(dead.id());

    // It completed after its router died: the node comes from the cold start's result.
    probe.set(starting, ColdStartState.completed("node-3"));
    clock.advance(Duration.ofSeconds(15));
    live.heartbeat(clock.instant());
    OrphanReconciler.Result second = reconciler.reconcile(clock.instant());

    assertThat(second.retired()).containsExactly(starting);
    assertThat(retirer.retirements()).containsExactly(new Retirement(starting, "node-3", "orphaned"));
    assertThat(instances.existsById(starting)).isFalse();
  }

  @Test
  void aLiveRoutersInstancesAreLeftAlone() {
    String ready = ownedAndStarted(live, "node-1");
    probe.set(ready, ColdStartState.completed("node-1"));

    OrphanReconciler.Result result = passAfterTheLease();

    assertThat(result.goneRouters()).doesNotContain(live.id());
    assertThat(routers.findById(live.id())).map(RouterRecord::state).contains(RouterRecord.LIVE);
    assertThat(probe.asked()).doesNotContain(ready);
    assertThat(retirer.retirements()).isEmpty();
    assertThat(instances.findById(ready)).map(RouterInstanceRecord::routerId).contains(live.id());
  }

  @Test
  void aFailedColdStartsRowIsDeletedWithoutRetiring() {
    String failed = UUID.randomUUID().toString();
    dead.own(failed, "fn-1", 1);
    probe.set(failed, ColdStartState.failed());

    OrphanReconciler.Result result = passAfterTheLease();

    assertThat(result.forgotten()).containsExactly(failed);
    assertThat(retirer.retirements()).isEmpty();
    assertThat(instances.existsById(failed)).isFalse();
  }

  @Test
  void aColdStartNeverStartedIsForgottenOnlyOnceAStartInFlightWouldHaveArrived() {
    String recorded = UUID.randomUUID().toString();
    clock.advance(LEASE.plusSeconds(1));
    live.heartbeat(clock.instant());
    dead.own(recorded, "fn-1", 1); // just before its router went
    routers.markGone(dead.id());
    probe.set(recorded, ColdStartState.notFound());

    assertThat(reconciler.reconcile(clock.instant()).waiting()).containsExactly(recorded);
    assertThat(instances.existsById(recorded)).isTrue();

    clock.advance(LEASE.plusSeconds(1));
    live.heartbeat(clock.instant());
    assertThat(reconciler.reconcile(clock.instant()).forgotten()).containsExactly(recorded);
    assertThat(retirer.retirements()).isEmpty();
    assertThat(instances.existsById(recorded)).isFalse();
  }

  @Test
  void aColdStartNeverStartedWhoseRouterHadReservedItsSlotIsRetiredOnTheSlotsNode() {
    String placed = UUID.randomUUID().toString();
    String other = UUID.randomUUID().toString();
    nodes.save(new NodeRecord("node-7", "zone-a", 1024, 2, "{}", NodeRecord.LIVE, clock.instant(), clock.instant(), null));
    slots.save(new SlotRecord("slot-1", "node-7", 128, 0, placed, clock.instant()));
    slots.save(new SlotRecord("slot-2", "node-7", 128, 128, other, clock.instant()));
    dead.own(placed, "fn-1", 1); // reserved, then its router died before the workflow started
    probe.set(placed, ColdStartState.notFound());

    OrphanReconciler.Result result = passAfterTheLease();

    assertThat(result.retired()).containsExactly(placed);
    assertThat(result.forgotten()).isEmpty();
    assertThat(retirer.retirements()).containsExactly(new Retirement(placed, "node-7", "orphaned"));
    assertThat(instances.existsById(placed)).isFalse();
  }

  @Test
  void anInstanceItsLiveRouterAbandonedUnsettledIsSettledLikeAnOrphan() {
    // The start RPC failed and nobody could say whether the workflow started: the live router hands
    // the row over instead of forgetting it, so its reserved slot is not kept for ever.
    String placed = UUID.randomUUID().toString();
    String running = UUID.randomUUID().toString();
    nodes.save(new NodeRecord("node-7", "zone-a", 1024, 2, "{}", NodeRecord.LIVE, clock.instant(), clock.instant(), null));
    slots.save(new SlotRecord("slot-1", "node-7", 128, 0, placed, clock.instant()));
    live.own(placed, "fn-1", 1);
    live.own(running, "fn-1", 1);
    live.abandoned(placed);
    live.abandoned(running);
    probe.set(placed, ColdStartState.notFound());
    probe.set(running, ColdStartState.running());

    OrphanReconciler.Result result = passAfterTheLease();

    assertThat(result.goneRouters()).doesNotContain(live.id());
    assertThat(result.retired()).containsExactly(placed);
    assertThat(retirer.retirements()).containsExactly(new Retirement(placed, "node-7", "orphaned"));
    assertThat(instances.existsById(placed)).isFalse();
    assertThat(result.waiting()).containsExactly(running);
    assertThat(live.owned()).isEmpty();
  }

  @Test
  void aReadyInstanceWhoseColdStartPassedTemporalsRetentionIsStillRetired() {
    String ready = ownedAndStarted(dead, "node-4");
    probe.set(ready, ColdStartState.notFound());

    OrphanReconciler.Result result = passAfterTheLease();

    assertThat(result.retired()).containsExactly(ready);
    assertThat(retirer.retirements()).containsExactly(new Retirement(ready, "node-4", "orphaned"));
    assertThat(instances.existsById(ready)).isFalse();
  }

  @Test
  void twoLiveRoutersRetireAnOrphanOnce() {
    RouterLease other = lease("other");
    other.register(clock.instant());
    OrphanReconciler second = reconciler(other);
    String orphan = ownedAndStarted(dead, "node-1");
    probe.set(orphan, ColdStartState.completed("node-1"));
    clock.advance(LEASE.plusSeconds(1));
    live.heartbeat(clock.instant());
    other.heartbeat(clock.instant());

    OrphanReconciler.Result a = reconciler.reconcile(clock.instant());
    OrphanReconciler.Result b = second.reconcile(clock.instant());

    assertThat(a.goneRouters()).containsExactly(dead.id());
    assertThat(b.goneRouters()).as("decided once").isEmpty();
    assertThat(retirer.retirements()).containsExactly(new Retirement(orphan, "node-1", "orphaned"));
    assertThat(b.retired()).isEmpty();
  }

  @Test
  void orphansWaitForTheNextPassWhenTheLookupFailsWhichIsTriedOncePerPass() {
    String a = ownedAndStarted(dead, "node-1");
    String b = ownedAndStarted(dead, "node-2");
    probe.set(a, ColdStartState.completed("node-1"));
    probe.set(b, ColdStartState.completed("node-2"));
    probe.failWith(new IllegalStateException("workflow service unavailable"));

    OrphanReconciler.Result result = passAfterTheLease();

    assertThat(result.waiting()).containsExactlyInAnyOrder(a, b);
    assertThat(probe.asked()).hasSize(1);
    assertThat(retirer.retirements()).isEmpty();
    assertThat(instances.findById(a)).map(RouterInstanceRecord::routerId).contains(dead.id());

    probe.failWith(null);
    clock.advance(Duration.ofSeconds(15));
    live.heartbeat(clock.instant());
    assertThat(reconciler.reconcile(clock.instant()).retired()).containsExactlyInAnyOrder(a, b);
  }

  @Test
  void aGoneRouterThatOwnsNothingIsDeletedAfterTheRetention() {
    String orphan = ownedAndStarted(dead, "node-1");
    probe.set(orphan, ColdStartState.completed("node-1"));
    passAfterTheLease();
    assertThat(routers.existsById(dead.id())).as("gone only recently").isTrue();

    clock.advance(SETTINGS.routerRetention());
    live.heartbeat(clock.instant());
    OrphanReconciler.Result later = reconciler.reconcile(clock.instant());

    assertThat(later.deletedRouters()).isPositive();
    assertThat(routers.existsById(dead.id())).isFalse();
    assertThat(routers.existsById(live.id())).isTrue();
  }

  // ---- fixtures

  /** Moves past the dead router's lease; the live one heartbeats meanwhile. Then one pass. */
  private OrphanReconciler.Result passAfterTheLease() {
    clock.advance(LEASE.minusSeconds(5));
    live.heartbeat(clock.instant());
    clock.advance(Duration.ofSeconds(6));
    return reconciler.reconcile(clock.instant());
  }

  private String ownedAndStarted(RouterLease lease, String nodeId) {
    String id = UUID.randomUUID().toString();
    lease.own(id, "fn-1", 1);
    lease.started(id, nodeId);
    return id;
  }

  private RouterLease lease(String host) {
    return new RouterLease(UUID.randomUUID().toString(), host, routers, instances, clock);
  }

  private OrphanReconciler reconciler(RouterLease lease) {
    return new OrphanReconciler(routers, instances, lease, probe, retirer, SETTINGS, slots, clock);
  }
}

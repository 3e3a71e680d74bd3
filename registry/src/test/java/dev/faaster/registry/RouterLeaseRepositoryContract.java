package dev.faaster.registry;

import static org.assertj.core.api.Assertions.assertThat;

import jakarta.inject.Inject;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * What the router lease tables promise ({@code routers}, {@code router_instances}): the conditional
 * statements that let one live API process, and only one, take over a dead router's instances.
 * {@link H2RouterLeaseRepositoryTest} runs it on H2 in MySQL mode, {@link MariaDbRouterLeaseRepositoryIT}
 * on MariaDB. Every test makes uniquely named rows and deletes them.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class RouterLeaseRepositoryContract {

  @Inject RouterRepository routers;
  @Inject RouterInstanceRepository instances;

  private final List<String> createdRouters = new ArrayList<>();
  private final List<String> createdInstances = new ArrayList<>();

  @AfterEach
  void deleteWhatTheTestMade() {
    createdInstances.forEach(instances::deleteById);
    createdRouters.forEach(routers::deleteById);
    createdInstances.clear();
    createdRouters.clear();
  }

  @Test
  void onlyAStaleLiveRouterIsMarkedGoneAndThenItsHeartbeatFails() {
    Instant now = now();
    RouterRecord fresh = newRouter(now);
    RouterRecord stale = newRouter(now.minusSeconds(60));
    Instant cutoff = now.minusSeconds(30);

    assertThat(routers.findStale(cutoff)).extracting(RouterRecord::id).contains(stale.id()).doesNotContain(fresh.id());
    assertThat(routers.markStaleGone(fresh.id(), cutoff)).isZero();
    assertThat(routers.markStaleGone(stale.id(), cutoff)).isEqualTo(1);
    assertThat(routers.markStaleGone(stale.id(), cutoff)).as("already gone").isZero();

    assertThat(routers.heartbeat(stale.id(), now)).as("a GONE router does not come back by heartbeat").isZero();
    assertThat(routers.heartbeat(fresh.id(), now.plusSeconds(1))).isEqualTo(1);
    assertThat(routers.findById(fresh.id())).map(RouterRecord::heartbeatAt).contains(now.plusSeconds(1));
    assertThat(routers.heartbeat("no-such-router", now)).isZero();
  }

  @Test
  void instancesOfGoneAndMissingRoutersAreOrphanedThoseOfLiveOnesNot() {
    Instant now = now();
    RouterRecord live = newRouter(now);
    RouterRecord gone = newRouter(now);
    routers.markGone(gone.id());
    RouterInstanceRecord ofLive = newInstance(live.id(), now);
    RouterInstanceRecord ofGone = newInstance(gone.id(), now);
    RouterInstanceRecord ofMissing = newInstance(id(), now);

    assertThat(instances.findOrphaned()).extracting(RouterInstanceRecord::instanceId)
        .contains(ofGone.instanceId(), ofMissing.instanceId())
        .doesNotContain(ofLive.instanceId());
  }

  @Test
  void anOrphanIsAdoptedByOneRouterOnlyAndNotOnceItsRouterIsLive() {
    Instant now = now();
    RouterRecord dead = newRouter(now);
    RouterRecord a = newRouter(now);
    RouterRecord b = newRouter(now);
    RouterInstanceRecord orphan = newInstance(dead.id(), now);

    assertThat(instances.adopt(orphan.instanceId(), dead.id(), a.id())).as("its router is LIVE").isZero();
    routers.markGone(dead.id());
    assertThat(instances.adopt(orphan.instanceId(), dead.id(), a.id())).isEqualTo(1);
    assertThat(instances.adopt(orphan.instanceId(), dead.id(), b.id())).as("already adopted").isZero();
    assertThat(instances.findById(orphan.instanceId())).map(RouterInstanceRecord::routerId).contains(a.id());

    // a retirement that could not be handed over gives it back for the next pass
    assertThat(instances.transfer(orphan.instanceId(), b.id(), dead.id())).as("not b's").isZero();
    assertThat(instances.transfer(orphan.instanceId(), a.id(), dead.id())).isEqualTo(1);
    assertThat(instances.adopt(orphan.instanceId(), dead.id(), a.id())).isEqualTo(1);

    assertThat(instances.deleteOwned(orphan.instanceId(), b.id())).as("not b's").isZero();
    assertThat(instances.deleteOwned(orphan.instanceId(), a.id())).isEqualTo(1);
    assertThat(instances.existsById(orphan.instanceId())).isFalse();
  }

  @Test
  void theNodeIsRecordedOnceKnown() {
    Instant now = now();
    RouterRecord router = newRouter(now);
    RouterInstanceRecord instance = newInstance(router.id(), now);

    assertThat(instances.recordNode(instance.instanceId(), "node-1")).isEqualTo(1);

    assertThat(instances.findByRouterId(router.id()))
        .containsExactly(new RouterInstanceRecord(instance.instanceId(), router.id(), "node-1", "fn-1", 3, now));
  }

  @Test
  void onlyLongGoneRoutersWithoutInstancesAreDeleted() {
    Instant now = now();
    RouterRecord empty = newRouter(now.minusSeconds(7200));
    RouterRecord owning = newRouter(now.minusSeconds(7200));
    RouterRecord recent = newRouter(now);
    RouterRecord live = newRouter(now.minusSeconds(7200));
    routers.markGone(empty.id());
    routers.markGone(owning.id());
    routers.markGone(recent.id());
    newInstance(owning.id(), now);

    routers.deleteGoneWithoutInstances(now.minusSeconds(3600));

    assertThat(routers.existsById(empty.id())).isFalse();
    assertThat(routers.existsById(owning.id())).as("owns an instance").isTrue();
    assertThat(routers.existsById(recent.id())).as("gone only recently").isTrue();
    assertThat(routers.existsById(live.id())).as("live").isTrue();
  }

  // ---- fixtures

  private RouterRecord newRouter(Instant heartbeatAt) {
    RouterRecord router = routers.save(new RouterRecord(id(), "host-a", RouterRecord.LIVE, heartbeatAt, heartbeatAt));
    createdRouters.add(router.id());
    return router;
  }

  private RouterInstanceRecord newInstance(String routerId, Instant at) {
    RouterInstanceRecord instance = instances.save(new RouterInstanceRecord(id(), routerId, null, "fn-1", 3, at));
    createdInstances.add(instance.instanceId());
    return instance;
  }

  private static Instant now() {
    return Instant.now().truncatedTo(ChronoUnit.MILLIS);
  }

  private static String id() {
    return UUID.randomUUID().toString();
  }
}

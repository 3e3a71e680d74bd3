package dev.faaster.api.invoke;

import static org.assertj.core.api.Assertions.assertThat;

import dev.faaster.workflows.coldstart.ColdStartResult;
import dev.faaster.workflows.coldstart.ColdStartStages;
import dev.faaster.workflows.coldstart.StartMode;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class InstancePoolTest {

  static final Instant NOW = Instant.parse("2026-11-29T12:00:00Z");

  @Test
  void startingInstanceIsJoinedOnlyUpToItsCapacity() {
    InstancePool pool = new InstancePool(2);

    InstancePool.Lease first = pool.acquire("a", NOW);
    InstancePool.Lease second = pool.acquire("b", NOW);
    InstancePool.Lease third = pool.acquire("c", NOW);

    assertThat(first.kind()).isEqualTo(InstancePool.Kind.NEW);
    assertThat(second.kind()).isEqualTo(InstancePool.Kind.JOINED);
    assertThat(second.instance()).isSameAs(first.instance());
    assertThat(third.kind()).isEqualTo(InstancePool.Kind.NEW);
    assertThat(pool.ids()).containsExactly("a", "c");
  }

  @Test
  void readyInstanceWithAFreeLeaseIsLeasedWarm() {
    InstancePool pool = new InstancePool(1);
    PooledInstance instance = pool.acquire("a", NOW).instance();
    pool.ready(instance, ready("a"), NOW);

    assertThat(pool.acquire("b", NOW).kind()).as("the only lease is taken").isEqualTo(InstancePool.Kind.NEW);
    pool.release(instance, NOW);
    InstancePool.Lease warm = pool.acquire("c", NOW);

    assertThat(warm.kind()).isEqualTo(InstancePool.Kind.WARM);
    assertThat(warm.instance()).isSameAs(instance);
  }

  @Test
  void removedInstanceIsNeverLeasedAgain() {
    InstancePool pool = new InstancePool(1);
    PooledInstance instance = pool.acquire("a", NOW).instance();
    pool.ready(instance, ready("a"), NOW);
    pool.release(instance, NOW);

    assertThat(pool.remove(instance)).isTrue();
    assertThat(pool.remove(instance)).as("second removal").isFalse();
    assertThat(pool.acquire("b", NOW).kind()).isEqualTo(InstancePool.Kind.NEW);
  }

  @Test
  void onlyIdleReadyInstancesAreReaped() {
    InstancePool pool = new InstancePool(1);
    PooledInstance busy = pool.acquire("busy", NOW).instance();
    pool.ready(busy, ready("busy"), NOW);
    PooledInstance idle = pool.acquire("idle", NOW).instance();
    pool.ready(idle, ready("idle"), NOW);
    pool.acquire("starting", NOW);
    pool.release(idle, NOW);

    var reaped = pool.removeIdle(new IdlePolicy(Duration.ofMinutes(1)), NOW.plus(Duration.ofMinutes(5)));

    assertThat(reaped).containsExactly(idle);
    assertThat(pool.ids()).containsExactlyInAnyOrder("busy", "starting");
  }

  private static ColdStartResult ready(String id) {
    return new ColdStartResult(id, "node", "slot", "/tmp/" + id, StartMode.RESTORE, "l1", new ColdStartStages(1, 2, 3, 0, 4, 10));
  }
}

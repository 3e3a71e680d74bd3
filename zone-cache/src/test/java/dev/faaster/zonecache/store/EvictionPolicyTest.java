package dev.faaster.zonecache.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.faaster.zonecache.store.EvictionPlan.Eviction;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The eviction decision alone, on a driven clock. */
class EvictionPolicyTest {

  static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  static final Duration GRACE = Duration.ofMinutes(1);

  final EvictionPolicy policy = new EvictionPolicy(1000, GRACE);

  static EvictionCandidate active(String sha256, long size, Instant used) {
    return new EvictionCandidate(sha256, size, used, true);
  }

  static EvictionCandidate inactive(String sha256, long size, Instant used) {
    return new EvictionCandidate(sha256, size, used, false);
  }

  @Test
  void underTheBoundNothingIsEvictedEvenInactive() {
    EvictionPlan plan = policy.plan(List.of(inactive("a", 400, T0), active("b", 600, T0)), T0.plus(Duration.ofDays(1)));

    assertThat(plan.evictions()).isEmpty();
    assertThat(plan.bytesAfter()).isEqualTo(1000);
    assertThat(plan.withinBound()).isTrue();
  }

  @Test
  void overTheBoundInactiveGoesFirstEvenWhenUsedMoreRecently() {
    Instant now = T0.plus(Duration.ofHours(1));
    EvictionPlan plan =
        policy.plan(
            List.of(active("old-active", 500, T0), inactive("recent-inactive", 400, T0.plusSeconds(600)), active("new", 300, T0.plusSeconds(900))),
            now);

    assertThat(plan.evictions()).containsExactly(new Eviction("recent-inactive", 400, EvictionReason.INACTIVE));
    assertThat(plan.bytesAfter()).isEqualTo(800);
    assertThat(plan.withinBound()).isTrue();
  }

  @Test
  void activeEntriesGoByLeastRecentUseOnlyWhileStillOverTheBound() {
    Instant now = T0.plus(Duration.ofHours(1));
    EvictionPlan plan =
        policy.plan(
            List.of(
                inactive("gone", 100, T0.plusSeconds(30)),
                active("lru", 400, T0),
                active("middle", 400, T0.plusSeconds(60)),
                active("mru", 400, T0.plusSeconds(120))),
            now);

    assertThat(plan.evictions())
        .containsExactly(
            new Eviction("gone", 100, EvictionReason.INACTIVE), new Eviction("lru", 400, EvictionReason.LEAST_RECENTLY_USED));
    assertThat(plan.bytesAfter()).isEqualTo(800);
  }

  @Test
  void inactiveEntriesGoOldestFirstAndOnlyAsManyAsNeeded() {
    Instant now = T0.plus(Duration.ofHours(1));
    EvictionPlan plan =
        policy.plan(
            List.of(inactive("b", 300, T0.plusSeconds(10)), inactive("a", 300, T0), inactive("c", 300, T0.plusSeconds(20)), active("d", 300, T0)),
            now);

    assertThat(plan.evictions()).extracting(Eviction::sha256).containsExactly("a");
  }

  @Test
  void entriesUsedWithinTheGracePeriodStayUntilItEnds() {
    List<EvictionCandidate> entries = List.of(inactive("just-used", 800, T0), active("other", 800, T0.minusSeconds(3600)));

    EvictionPlan during = policy.plan(entries, T0.plus(GRACE).minusMillis(1));
    EvictionPlan after = policy.plan(entries, T0.plus(GRACE));

    assertThat(during.evictions()).extracting(Eviction::sha256).containsExactly("other");
    assertThat(after.evictions()).extracting(Eviction::sha256).containsExactly("just-used");
  }

  @Test
  void whenEverythingIsWithinTheGracePeriodThePlanSaysItCannotGetUnderTheBound() {
    EvictionPlan plan = policy.plan(List.of(active("a", 700, T0), inactive("b", 700, T0)), T0.plusSeconds(1));

    assertThat(plan.evictions()).isEmpty();
    assertThat(plan.bytesAfter()).isEqualTo(1400);
    assertThat(plan.withinBound()).isFalse();
  }

  @Test
  void aSinglePackageLargerThanTheBoundIsEvictedOnceOutsideTheGracePeriod() {
    EvictionPlan plan = policy.plan(List.of(active("huge", 5000, T0)), T0.plus(GRACE));

    assertThat(plan.evictions()).extracting(Eviction::sha256).containsExactly("huge");
    assertThat(plan.withinBound()).isTrue();
  }

  @Test
  void negativeSettingsAreRefused() {
    assertThatThrownBy(() -> new EvictionPolicy(-1, GRACE)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new EvictionPolicy(1, Duration.ofSeconds(-1))).isInstanceOf(IllegalArgumentException.class);
  }
}

package dev.faaster.api.invoke;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class IdlePolicyTest {

  static final Instant LAST_USED = Instant.parse("2026-11-29T12:00:00Z");
  final IdlePolicy policy = new IdlePolicy(Duration.ofMinutes(10));

  @Test
  void idleInstanceIsKeptUntilTheKeepAliveHasPassed() {
    assertThat(policy.shouldRetire(0, true, LAST_USED, LAST_USED.plus(Duration.ofMinutes(9)))).isFalse();
    assertThat(policy.shouldRetire(0, true, LAST_USED, LAST_USED.plus(Duration.ofMinutes(10)))).isTrue();
    assertThat(policy.shouldRetire(0, true, LAST_USED, LAST_USED.plus(Duration.ofHours(1)))).isTrue();
  }

  @Test
  void busyInstanceIsNeverIdle() {
    assertThat(policy.shouldRetire(1, true, LAST_USED, LAST_USED.plus(Duration.ofHours(1)))).isFalse();
  }

  @Test
  void startingInstanceIsNeverIdle() {
    assertThat(policy.shouldRetire(0, false, LAST_USED, LAST_USED.plus(Duration.ofHours(1)))).isFalse();
  }
}

package dev.faaster.packagestore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class OrphanPolicyTest {

  private final Instant written = Instant.parse("2026-11-29T10:00:00Z");
  private final ObjectSummary object = new ObjectSummary("staging/t/f/x.zip", 10, written);
  private final OrphanPolicy policy = new OrphanPolicy(Duration.ofHours(1));

  @Test
  void anUnreferencedObjectBecomesGarbageOnlyAfterTheGracePeriod() {
    assertThat(policy.isGarbage(object, false, written.plus(Duration.ofMinutes(59)))).isFalse();
    assertThat(policy.isGarbage(object, false, written.plus(Duration.ofHours(1)))).isTrue();
    assertThat(policy.isGarbage(object, false, written.plus(Duration.ofDays(3)))).isTrue();
  }

  @Test
  void aReferencedObjectIsNeverGarbage() {
    assertThat(policy.isGarbage(object, true, written.plus(Duration.ofDays(365)))).isFalse();
  }

  @Test
  void aNegativeGraceIsRefused() {
    assertThatThrownBy(() -> new OrphanPolicy(Duration.ofSeconds(-1))).isInstanceOf(IllegalArgumentException.class);
  }
}

package dev.faaster.api.invoke;

import dev.faaster.api.ApiRole;
import io.micronaut.context.annotation.Requires;
import io.micronaut.scheduling.annotation.Scheduled;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.time.Duration;

/**
 * Retires idle instances every {@code faaster.invocations.reap-interval} (the policy is {@link
 * IdlePolicy}), and every {@code faaster.invocations.health-interval} those whose guest died.
 */
@Singleton
@Requires(property = "faaster.roles", pattern = ApiRole.PATTERN)
public class KeepAliveReaper {

  /** A ping of an idle agent: it answers in milliseconds when alive, even under TCG. */
  static final Duration HEALTH_TIMEOUT = Duration.ofSeconds(2);

  private final InvocationRouter router;
  private final Clock clock;

  public KeepAliveReaper(InvocationRouter router, Clock clock) {
    this.router = router;
    this.clock = clock;
  }

  @Scheduled(fixedDelay = "${faaster.invocations.reap-interval:30s}", initialDelay = "${faaster.invocations.reap-interval:30s}")
  void reap() {
    router.reapIdle(clock.instant());
  }

  /** Idle instances whose guest died are replaced before a request finds them. */
  @Scheduled(fixedDelay = "${faaster.invocations.health-interval:30s}", initialDelay = "${faaster.invocations.health-interval:30s}")
  void checkHealth() {
    router.checkIdle(HEALTH_TIMEOUT);
  }
}

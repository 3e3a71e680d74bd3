package dev.faaster.api.invoke;

import dev.faaster.api.ApiRole;
import io.micronaut.context.annotation.Requires;
import io.micronaut.scheduling.annotation.Scheduled;
import jakarta.inject.Singleton;
import java.time.Clock;

/** Retires idle instances every {@code faaster.invocations.reap-interval}; the policy is {@link IdlePolicy}. */
@Singleton
@Requires(property = "faaster.roles", pattern = ApiRole.PATTERN)
public class KeepAliveReaper {

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
}

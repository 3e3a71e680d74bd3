package dev.faaster.api.invoke;

import dev.faaster.api.ApiRole;
import io.micronaut.context.annotation.Requires;
import io.micronaut.context.event.StartupEvent;
import io.micronaut.runtime.event.annotation.EventListener;
import io.micronaut.scheduling.annotation.Scheduled;
import jakarta.inject.Singleton;
import java.time.Clock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Registers this process's router at start and renews its lease every {@code faaster.invocations.router-heartbeat}. */
@Singleton
@Requires(property = "faaster.roles", pattern = ApiRole.PATTERN)
public class RouterHeartbeat {

  private static final Logger log = LoggerFactory.getLogger(RouterHeartbeat.class);

  private final RouterLease lease;
  private final Clock clock;

  public RouterHeartbeat(RouterLease lease, Clock clock) {
    this.lease = lease;
    this.clock = clock;
  }

  @EventListener
  void onStartup(StartupEvent event) {
    try {
      lease.register(clock.instant());
      log.atInfo().setMessage("router {} registered").addArgument(lease.id()).addKeyValue("router", lease.id()).log();
    } catch (RuntimeException e) {
      log.warn("router {} could not register; the next heartbeat retries: {}", lease.id(), e.getMessage());
    }
  }

  @Scheduled(fixedDelay = "${faaster.invocations.router-heartbeat:5s}", initialDelay = "${faaster.invocations.router-heartbeat:5s}")
  void heartbeat() {
    try {
      if (!lease.heartbeat(clock.instant())) {
        // Its instances may have been retired by another process meanwhile: an invocation that meets
        // one finds it crashed and the router replaces it.
        log.atWarn()
            .setMessage("router {} missed its lease and was declared gone; registered again")
            .addArgument(lease.id())
            .addKeyValue("router", lease.id())
            .log();
      }
    } catch (RuntimeException e) {
      log.warn("router {} heartbeat failed: {}", lease.id(), e.getMessage());
    }
  }
}

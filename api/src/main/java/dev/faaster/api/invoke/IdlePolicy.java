package dev.faaster.api.invoke;

import java.time.Duration;
import java.time.Instant;

/**
 * Decides when a warm instance has been idle long enough to retire: nothing running on it and no
 * invocation for the keep-alive. The prewarm work replaces this with a predictive policy.
 */
public final class IdlePolicy {

  private final Duration keepAlive;

  public IdlePolicy(Duration keepAlive) {
    if (keepAlive.isNegative()) {
      throw new IllegalArgumentException("keep-alive must not be negative: " + keepAlive);
    }
    this.keepAlive = keepAlive;
  }

  /**
   * @param inFlight invocations running on (or waiting for) the instance
   * @param ready whether its cold start has finished
   * @param lastUsed when its last invocation ended (or it became ready)
   * @param now the time of the decision
   */
  public boolean shouldRetire(int inFlight, boolean ready, Instant lastUsed, Instant now) {
    return ready && inFlight == 0 && !lastUsed.plus(keepAlive).isAfter(now);
  }

  public Duration keepAlive() {
    return keepAlive;
  }
}

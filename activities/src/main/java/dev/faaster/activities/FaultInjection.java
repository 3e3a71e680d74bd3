package dev.faaster.activities;

import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.core.annotation.Nullable;
import java.time.Duration;

/**
 * Delays that fault-injection tests use to kill a worker at a known step. Zero (the default) in
 * every real deployment; the settings only widen a window, they never change an outcome.
 *
 * @param delayBeforeRecordVersion pause after the package is stored, before the version is recorded
 */
@ConfigurationProperties("faaster.fault-injection")
public record FaultInjection(@Nullable Duration delayBeforeRecordVersion) {

  public FaultInjection {
    delayBeforeRecordVersion = delayBeforeRecordVersion == null ? Duration.ZERO : delayBeforeRecordVersion;
  }

  public void pauseBeforeRecordVersion() {
    pause(delayBeforeRecordVersion);
  }

  private static void pause(Duration delay) {
    if (delay.isZero() || delay.isNegative()) {
      return;
    }
    try {
      Thread.sleep(delay.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

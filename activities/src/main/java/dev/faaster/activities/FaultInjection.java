package dev.faaster.activities;

import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.core.annotation.Nullable;
import java.time.Duration;

/**
 * Delays that fault-injection tests use to kill a worker at a known step. Zero (the default) in
 * every real deployment; the settings only widen a window, they never change an outcome.
 *
 * @param delayBeforeRecordVersion pause after the package is stored, before the version is recorded
 * @param delayBeforeAttachRoutes pause at the start of a cold start's route attach (the VM is being
 *     or has been restored meanwhile)
 */
@ConfigurationProperties("faaster.fault-injection")
public record FaultInjection(@Nullable Duration delayBeforeRecordVersion, @Nullable Duration delayBeforeAttachRoutes) {

  public FaultInjection {
    delayBeforeRecordVersion = delayBeforeRecordVersion == null ? Duration.ZERO : delayBeforeRecordVersion;
    delayBeforeAttachRoutes = delayBeforeAttachRoutes == null ? Duration.ZERO : delayBeforeAttachRoutes;
  }

  public void pauseBeforeAttachRoutes() {
    pause(delayBeforeAttachRoutes);
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

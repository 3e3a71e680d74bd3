package dev.faaster.api.invoke;

import java.time.Duration;

/** Takes instances down: the VM destroyed, its slot freed. Fire and forget; retiring twice is harmless. */
public interface InstanceRetirer {

  /**
   * @param reason {@code idle}, {@code timeout}, {@code crashed}, {@code function-deleted}
   */
  void retire(String instanceId, String nodeId, String reason);

  /**
   * Waits until the retirements asked for so far are done, or {@code timeout} passed (they still
   * complete later: they are durable). For a graceful shutdown, so the VMs are gone when the
   * process is.
   *
   * @return whether all were done in time
   */
  default boolean awaitRetirements(Duration timeout) {
    return true;
  }
}

package dev.faaster.api.invoke;

/** Takes instances down: the VM destroyed, its slot freed. Fire and forget; retiring twice is harmless. */
public interface InstanceRetirer {

  /**
   * @param reason {@code idle}, {@code timeout}, {@code crashed}, {@code function-deleted}
   */
  void retire(String instanceId, String nodeId, String reason);
}

package dev.faaster.api.invoke;

import io.micronaut.core.annotation.Nullable;

/**
 * Where an instance's cold start workflow is, as the orphan reconciler needs it.
 *
 * @param nodeId the node the instance runs on, when {@link Phase#COMPLETED}
 */
public record ColdStartState(Phase phase, @Nullable String nodeId) {

  public enum Phase {
    /** Still running: the instance may yet come up; retiring it now would leak what it makes later. */
    RUNNING,
    /** Completed: the instance exists on {@code nodeId} and must be retired. */
    COMPLETED,
    /** Closed without completing: its compensation took down what it had made. */
    FAILED,
    /**
     * Unknown to Temporal: never started (the router died between recording the instance and
     * starting it), or closed so long ago that Temporal's retention dropped it.
     */
    NOT_FOUND
  }

  public static ColdStartState running() {
    return new ColdStartState(Phase.RUNNING, null);
  }

  public static ColdStartState completed(String nodeId) {
    return new ColdStartState(Phase.COMPLETED, nodeId);
  }

  public static ColdStartState failed() {
    return new ColdStartState(Phase.FAILED, null);
  }

  public static ColdStartState notFound() {
    return new ColdStartState(Phase.NOT_FOUND, null);
  }
}

package dev.faaster.workflows;

/** Names of the Temporal task queues; workers and clients must agree on them. */
public final class TaskQueues {

  /** Control-plane workflows and activities that may run on any worker (deploys, registry updates). */
  public static final String CONTROL = "faaster-control";

  /**
   * Invocation steps of asynchronous invocations: polled by every process with the api role, whose
   * router runs invocations.
   */
  public static final String INVOKE = "faaster-invoke";

  private TaskQueues() {}
}

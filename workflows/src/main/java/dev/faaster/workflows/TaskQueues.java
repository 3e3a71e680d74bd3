package dev.faaster.workflows;

/** Names of the Temporal task queues; workers and clients must agree on them. */
public final class TaskQueues {

  /** Control-plane workflows and activities that may run on any worker (deploys, registry updates). */
  public static final String CONTROL = "faaster-control";

  private TaskQueues() {}
}

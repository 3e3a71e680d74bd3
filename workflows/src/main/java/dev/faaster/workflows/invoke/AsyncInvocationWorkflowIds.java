package dev.faaster.workflows.invoke;

/** Workflow ids of asynchronous invocations: {@code invoke-<invocation id>}. */
public final class AsyncInvocationWorkflowIds {

  private static final String PREFIX = "invoke-";

  private AsyncInvocationWorkflowIds() {}

  public static String of(String invocationId) {
    return PREFIX + invocationId;
  }
}

package dev.faaster.workflows.invoke;

import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/**
 * One accepted asynchronous invocation (an event): runs it, retries a failed attempt up to the
 * request's attempts with a growing pause, and completes with the last attempt's outcome. Platform
 * refusals (throttled, no capacity) are retried by the invocation step itself, within the event's
 * maximum age; a function that no longer exists ends it at once.
 */
@WorkflowInterface
public interface AsyncInvocationWorkflow {

  @WorkflowMethod
  AsyncInvocationResult invoke(AsyncInvocationRequest request);
}

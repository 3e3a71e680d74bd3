package dev.faaster.workflows.invoke;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;

/** The invocation step of an asynchronous invocation, run by an api process's router. */
@ActivityInterface
public interface InvokeActivities {

  /**
   * Runs one attempt of the event on its version and reports how it ended. A function outcome
   * (including its error, timeout or crash) is returned; a platform refusal (throttled, no
   * capacity) is thrown as a retryable failure; a function that is gone as {@link
   * AsyncInvocationFailureTypes#FUNCTION_NOT_FOUND}.
   */
  @ActivityMethod(name = "InvokeAsyncEvent")
  InvocationAttempt invoke(AsyncInvocationRequest request, int attempt);
}

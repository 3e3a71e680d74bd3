package dev.faaster.workflows.invoke;

/** Failure types of the invocation step: the ones no retry can fix. */
public final class AsyncInvocationFailureTypes {

  /** The function, or the version the event was accepted for, no longer exists. */
  public static final String FUNCTION_NOT_FOUND = "FunctionNotFound";

  /** The platform kept refusing the event (throttled, no capacity) until its maximum age. */
  public static final String EVENT_EXPIRED = "EventExpired";

  /** The step refused the event for good for another reason (a refusal no retry can fix). */
  public static final String STEP_FAILED = "StepFailed";

  private AsyncInvocationFailureTypes() {}
}

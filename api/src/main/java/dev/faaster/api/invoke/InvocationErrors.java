package dev.faaster.api.invoke;

/** The errorType values the platform itself gives function errors (the function's own pass through). */
public final class InvocationErrors {

  /** The function ran past its timeout (or its instance did not become ready in time). */
  public static final String TIMEOUT = "TimeoutError";

  /** The instance stopped answering during the invocation. */
  public static final String INSTANCE_CRASHED = "Runtime.InstanceCrashed";

  /** The guest refused the version's code at cold start. */
  public static final String CODE_LOAD_FAILED = "Runtime.CodeLoadFailed";

  /** The header a function error is flagged with, as Lambda's X-Amz-Function-Error. */
  public static final String UNHANDLED = "Unhandled";

  private InvocationErrors() {}
}

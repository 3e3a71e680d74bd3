package dev.faaster.workflows.invoke;

/**
 * How an asynchronous invocation ended.
 *
 * @param status {@link #SUCCEEDED} or {@link #FAILED}
 * @param attempts attempts made (retries included)
 * @param last the last attempt's outcome; null when none ran (the function was gone)
 * @param failureType why it failed without a function outcome (e.g. {@link
 *     AsyncInvocationFailureTypes#FUNCTION_NOT_FOUND}), or null
 * @param failureMessage a sentence saying why, or null
 */
public record AsyncInvocationResult(
    String status, int attempts, InvocationAttempt last, String failureType, String failureMessage) {

  public static final String SUCCEEDED = "SUCCEEDED";
  public static final String FAILED = "FAILED";
}

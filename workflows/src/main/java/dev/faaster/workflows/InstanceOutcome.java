package dev.faaster.workflows;

/**
 * One instance's answer in a batch step: its value, or why that instance failed. A batch step
 * answers every instance it was given, each on its own; one instance's failure never fails the
 * others (nor the call).
 *
 * @param instanceId the instance
 * @param value the step's result for it (null when it failed, or when the step has no result)
 * @param failureType the failure's type when it failed (an {@code ApplicationFailure} type such as
 *     {@code NoCapacity}, or the exception's simple class name); null when it succeeded
 * @param failureMessage what went wrong, for logs and the result; null when it succeeded
 * @param retryable whether repeating the step for this instance may succeed (false for the
 *     non-retryable failures the single-instance step would not retry either)
 */
public record InstanceOutcome<T>(
    String instanceId, T value, String failureType, String failureMessage, boolean retryable) {

  public static <T> InstanceOutcome<T> ok(String instanceId, T value) {
    return new InstanceOutcome<>(instanceId, value, null, null, false);
  }

  public static <T> InstanceOutcome<T> failed(
      String instanceId, String failureType, String failureMessage, boolean retryable) {
    return new InstanceOutcome<>(
        instanceId, null, failureType == null ? "Failure" : failureType, failureMessage, retryable);
  }

  /** Whether the step succeeded for this instance. */
  public boolean succeeded() {
    return failureType == null;
  }
}

package dev.faaster.workflows.invoke;

/**
 * What one attempt of an asynchronous invocation ended with, as the router reported it.
 *
 * @param status {@code OK}, {@code FUNCTION_ERROR}, {@code TIMEOUT} or {@code CRASHED}
 * @param payload the response of a successful attempt, when it is within the kept size; else null
 * @param payloadBytes the successful response's size, also when it was not kept (0 otherwise)
 * @param errorType the function error's type, or null
 * @param errorMessage the function error's message, or null
 * @param version the version that ran
 * @param instanceId the instance that ran it
 */
public record InvocationAttempt(
    String status,
    byte[] payload,
    int payloadBytes,
    String errorType,
    String errorMessage,
    int version,
    String instanceId) {

  public static final String OK = "OK";

  public boolean succeeded() {
    return OK.equals(status);
  }
}

package dev.faaster.workflows.invoke;

/**
 * What one attempt of an asynchronous invocation ended with, as the router reported it.
 *
 * @param status {@code OK}, {@code FUNCTION_ERROR}, {@code TIMEOUT} or {@code CRASHED}
 * @param payload the response (OK) or the error body, at most the kept size; null when omitted
 * @param payloadBytes the response's size, also when it was not kept
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

package dev.faaster.api.invoke;

/**
 * The data plane's wire format. Request: the event as the body, the function's timeout and the
 * invocation id in headers. Answer 200: the outcome in {@link #OUTCOME}, the function's duration in
 * {@link #DURATION_MS}; the body is the response (OK) or a JSON {@code {errorType, errorMessage,
 * trace}} (anything else). 404: no such instance on the node; 401: wrong token; 503: data plane off.
 * Every answer names the node ({@link #NODE_ID}).
 */
public final class NodeDataPlaneHeaders {

  public static final String TIMEOUT_MS = "X-Faaster-Timeout-Ms";
  public static final String INVOCATION_ID = "X-Faaster-Invocation-Id";
  public static final String OUTCOME = "X-Faaster-Outcome";
  public static final String DURATION_MS = "X-Faaster-Duration-Ms";
  /** On every answer: the node that gave it (a stale address may lead to another node). */
  public static final String NODE_ID = "X-Faaster-Node-Id";

  /** The node's health path of an instance: 200 when it answers as itself, 410 when it doesn't. */
  public static String healthPath(String instanceId) {
    return "/node/v1/instances/" + instanceId + "/health";
  }

  /** The node's invocation path of an instance. */
  public static String invocationPath(String instanceId) {
    return "/node/v1/instances/" + instanceId + "/invocations";
  }

  private NodeDataPlaneHeaders() {}
}

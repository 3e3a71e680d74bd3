package dev.faaster.api.invoke;

import io.micronaut.core.annotation.Nullable;

/**
 * What became of one invocation on an instance.
 *
 * @param status how it ended
 * @param payload the function's response (ok), or whatever it wrote before failing
 * @param errorType set unless ok: the runtime's error type ({@code Runtime.ExitError}, an exception class)
 * @param errorMessage set unless ok
 * @param trace the function's stack trace, if the runtime gave one
 * @param durationMs time in the function as the guest measured it; 0 when unknown
 */
public record InvocationOutcome(
    Status status,
    byte[] payload,
    @Nullable String errorType,
    @Nullable String errorMessage,
    @Nullable String trace,
    double durationMs) {

  /** How an invocation ended. */
  public enum Status {
    /** The function answered. */
    OK,
    /** The function failed (raised, exited non-zero): the instance stays. */
    FUNCTION_ERROR,
    /** The function ran past its timeout: the instance is retired. */
    TIMEOUT,
    /** The instance stopped answering (connection lost, agent gone): retired and replaced. */
    CRASHED,
    /**
     * The instance's node could not be reached (network, its data plane off or misconfigured): the
     * platform's fault, not the function's. The request answers 503; the instance stays, unless its
     * node keeps being unreachable.
     */
    UNREACHABLE
  }

  public InvocationOutcome {
    payload = payload == null ? new byte[0] : payload;
  }

  public static InvocationOutcome ok(byte[] payload, double durationMs) {
    return new InvocationOutcome(Status.OK, payload, null, null, null, durationMs);
  }

  public static InvocationOutcome functionError(String errorType, String errorMessage, @Nullable String trace) {
    return new InvocationOutcome(Status.FUNCTION_ERROR, null, errorType, errorMessage, trace, 0);
  }

  public static InvocationOutcome timeout(String errorMessage) {
    return new InvocationOutcome(Status.TIMEOUT, null, InvocationErrors.TIMEOUT, errorMessage, null, 0);
  }

  public static InvocationOutcome unreachable(String errorMessage) {
    return new InvocationOutcome(Status.UNREACHABLE, new byte[0], "Platform.NodeUnreachable", errorMessage, null, 0);
  }

  public static InvocationOutcome crashed(String errorMessage) {
    return new InvocationOutcome(Status.CRASHED, null, InvocationErrors.INSTANCE_CRASHED, errorMessage, null, 0);
  }
}

package dev.faaster.workflows;

import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.TemporalFailure;

/** What a workflow records and logs when a step fails: the innermost cause, not "activity task failed". */
public final class FailureReasons {

  private FailureReasons() {}

  /** {@code Type: message} of the innermost application failure, else the innermost message. */
  public static String of(Throwable failure) {
    Throwable cause = failure;
    while (cause.getCause() != null) {
      cause = cause.getCause();
    }
    if (cause instanceof ApplicationFailure application) {
      String message = application.getOriginalMessage();
      return application.getType() + ": " + (message == null ? "" : message);
    }
    String message = cause instanceof TemporalFailure temporal ? temporal.getOriginalMessage() : cause.getMessage();
    return message == null ? cause.getClass().getSimpleName() : message;
  }
}

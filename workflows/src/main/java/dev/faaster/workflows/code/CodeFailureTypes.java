package dev.faaster.workflows.code;

/** Non-retryable failures of code steps. */
public final class CodeFailureTypes {

  /** No tier holds the package and none could fetch it (each tier's reason is in the message). */
  public static final String CODE_UNAVAILABLE = "CodeUnavailable";
  /** The zone cache refused: the tenant doesn't own this digest. */
  public static final String CODE_ACCESS_DENIED = "CodeAccessDenied";

  private CodeFailureTypes() {}
}

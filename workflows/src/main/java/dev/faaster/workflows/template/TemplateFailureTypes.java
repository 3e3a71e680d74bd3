package dev.faaster.workflows.template;

/** Non-retryable failures of template steps. */
public final class TemplateFailureTypes {

  /** The runtime has no guest image on the node (build it with infra/guest/build-image.sh). */
  public static final String IMAGE_MISSING = "GuestImageMissing";
  /** The base VM booted but its agent never answered: retrying the same inputs won't help. */
  public static final String AGENT_NEVER_READY = "AgentNeverReady";
  /** The runtime is not one the platform knows. */
  public static final String UNKNOWN_RUNTIME = "UnknownRuntime";

  private TemplateFailureTypes() {}

  public static String[] all() {
    return new String[] {IMAGE_MISSING, AGENT_NEVER_READY, UNKNOWN_RUNTIME};
  }
}

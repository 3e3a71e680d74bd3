package dev.faaster.workflows.instance;

/** Non-retryable failures of instance steps. */
public final class InstanceFailureTypes {

  /** The template isn't on this node (rebuilt, or the node restarted): build it again first. */
  public static final String TEMPLATE_NOT_ON_NODE = "TemplateNotOnNode";

  /** The instance isn't running on this node any more (destroyed, crashed, or never created). */
  public static final String INSTANCE_GONE = "InstanceGone";

  private InstanceFailureTypes() {}
}

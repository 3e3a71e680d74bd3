package dev.faaster.workflows.coldstart;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;

/**
 * The template a cold start restores from, read from the registry on the control task queue. A
 * read: safe to retry, nothing to undo.
 */
@ActivityInterface
public interface TemplateLookupActivities {

  /**
   * The id of the node's current READY template of the runtime (the newest one {@code
   * recordTemplate} left in place).
   *
   * @throws io.temporal.failure.ApplicationFailure {@link
   *     dev.faaster.workflows.instance.InstanceFailureTypes#TEMPLATE_NOT_ON_NODE} when the node has
   *     no READY template of the runtime
   */
  @ActivityMethod
  String currentTemplate(String nodeId, String runtime);
}

package dev.faaster.workflows.template;

import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/**
 * Makes sure a node has a template of a runtime built from the current inputs: reuses one whose
 * inputs digest matches, builds a new one otherwise. Workflow id {@link #idOf}: concurrent requests
 * for the same node and runtime join one build.
 */
@WorkflowInterface
public interface BuildTemplateWorkflow {

  @WorkflowMethod
  TemplateResult build(BuildTemplateRequest request);

  static String idOf(String nodeId, String runtime) {
    return "template/" + nodeId + "/" + runtime;
  }
}

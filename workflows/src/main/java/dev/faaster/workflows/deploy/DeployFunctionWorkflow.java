package dev.faaster.workflows.deploy;

import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/**
 * One deploy: verify the staged package, store it content-addressed, record the version, warm the
 * zone cache. Its workflow id is {@link DeployWorkflowIds#of}, so a retried request can't deploy the
 * same version twice.
 */
@WorkflowInterface
public interface DeployFunctionWorkflow {

  @WorkflowMethod
  DeployResult deploy(DeployRequest request);
}

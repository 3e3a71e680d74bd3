package dev.faaster.workflows.coldstart;

import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/**
 * {@link RetireInstanceWorkflow} for many instances in one workflow: per node, routes detached, VMs
 * destroyed and code released in one call each, then every slot freed in one call. Every step is
 * idempotent, so retiring a half-started or already retired instance is safe. A node whose steps
 * fail for good keeps its instances' slots (a VM that may still run keeps its slot), the others'
 * are freed, and the workflow fails naming that node.
 */
@WorkflowInterface
public interface RetireInstancesWorkflow {

  /** Non-retryable failure type when some node's instances could not be retired. */
  String RETIRE_INCOMPLETE = "RetireIncomplete";

  /** The workflow id of a retirement batch, by the caller's id for it. */
  static String idOf(String batchId) {
    return "retire-batch-" + batchId;
  }

  @WorkflowMethod
  void retireAll(RetireInstancesRequest request);
}

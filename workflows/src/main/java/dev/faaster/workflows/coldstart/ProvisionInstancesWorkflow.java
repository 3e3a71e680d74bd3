package dev.faaster.workflows.coldstart;

import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/**
 * Brings N instances of one function version up together (provisioned concurrency, prewarming,
 * scale-out): the cold start's steps, each done for the whole batch in one call per node instead
 * of one workflow per instance. All slots in one call; per slot node, VMs, code and routes
 * concurrently, then code loaded into the guests. An instance that fails a step (after its retries)
 * is undone on its own, as a cold start's saga would undo it (VM destroyed, routes detached, code
 * released, slot freed) and reported failed; the others are ready. Completes with every instance's
 * outcome; fails only for a request it refuses ({@link #INVALID_REQUEST}).
 *
 * <p>A cancelled batch stops: instances not ready yet are undone, ready ones stay and are reported.
 */
@WorkflowInterface
public interface ProvisionInstancesWorkflow {

  /**
   * Instances per workflow at most. Bounds the workflow's payloads (about 300 bytes of history per
   * instance per step) well below Temporal's 2 MB per payload; more instances are several workflows.
   */
  int MAX_INSTANCES = 1_000;

  /** Non-retryable failure type of a request with no instances, too many, or one id twice. */
  String INVALID_REQUEST = "InvalidProvisionRequest";

  /** The workflow id of a batch, by the caller's id for it. */
  static String idOf(String batchId) {
    return "provision-" + batchId;
  }

  @WorkflowMethod
  ProvisionResult provision(ProvisionRequest request);
}

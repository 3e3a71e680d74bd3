package dev.faaster.workflows.coldstart;

import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/**
 * One instance's cold start: slot, then VM, code and routes concurrently, then code loaded into the
 * guest. A step that fails for good undoes the completed ones (saga): the VM is destroyed, the code
 * released, the routes detached, the slot freed. Completes when the instance is ready. Runs on the
 * control queue, or on the slot's node queue when the caller reserved the slot ({@link
 * ColdStartRequest#placement()}).
 */
@WorkflowInterface
public interface ColdStartWorkflow {

  @WorkflowMethod
  ColdStartResult start(ColdStartRequest request);
}

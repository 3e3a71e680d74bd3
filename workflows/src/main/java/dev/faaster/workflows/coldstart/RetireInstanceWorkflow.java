package dev.faaster.workflows.coldstart;

import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/**
 * Takes an instance down, in the reverse order of its cold start: routes detached, VM destroyed,
 * code released, slot freed. Every step is idempotent, so a retirement of a half-started or
 * already retired instance is safe.
 */
@WorkflowInterface
public interface RetireInstanceWorkflow {

  @WorkflowMethod
  void retire(RetireRequest request);
}

package dev.faaster.api.invoke;

import dev.faaster.workflows.coldstart.ColdStartResult;
import dev.faaster.workflows.coldstart.ColdStartWorkflow;
import dev.faaster.workflows.coldstart.ColdStartWorkflowIds;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowNotFoundException;
import io.temporal.client.WorkflowStub;
import jakarta.inject.Singleton;

/**
 * Describes the instance's {@link ColdStartWorkflow} ({@code coldstart-<instance id>}); for a
 * completed one, reads the node from its result.
 */
@Singleton
public class TemporalColdStartProbe implements ColdStartProbe {

  private final WorkflowClient client;

  public TemporalColdStartProbe(WorkflowClient client) {
    this.client = client;
  }

  @Override
  public ColdStartState stateOf(String instanceId) {
    WorkflowStub stub = client.newUntypedWorkflowStub(ColdStartWorkflowIds.of(instanceId));
    try {
      return switch (stub.describe().getStatus()) {
        case WORKFLOW_EXECUTION_STATUS_COMPLETED -> ColdStartState.completed(stub.getResult(ColdStartResult.class).nodeId());
        case WORKFLOW_EXECUTION_STATUS_FAILED,
            WORKFLOW_EXECUTION_STATUS_TERMINATED,
            WORKFLOW_EXECUTION_STATUS_CANCELED,
            WORKFLOW_EXECUTION_STATUS_TIMED_OUT -> ColdStartState.failed();
        // Running, continued (a cold start never continues as new) or a status this SDK doesn't know:
        // not closed as far as we can tell.
        default -> ColdStartState.running();
      };
    } catch (WorkflowNotFoundException e) {
      return ColdStartState.notFound();
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() == Status.Code.NOT_FOUND) {
        return ColdStartState.notFound();
      }
      throw e;
    }
  }
}

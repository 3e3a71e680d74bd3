package dev.faaster.api.versions;

import dev.faaster.workflows.SearchAttributeKeys;
import dev.faaster.workflows.TaskQueues;
import dev.faaster.workflows.deploy.DeployFunctionWorkflow;
import dev.faaster.workflows.deploy.DeployRequest;
import dev.faaster.workflows.deploy.DeployResult;
import io.grpc.StatusRuntimeException;
import io.temporal.api.enums.v1.WorkflowIdReusePolicy;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowExecutionAlreadyStarted;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowServiceException;
import io.temporal.client.WorkflowStub;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Starts {@link DeployFunctionWorkflow} on the control task queue. */
@Singleton
public class TemporalDeployWorkflowStarter implements DeployWorkflowStarter {

  private final WorkflowClient client;

  public TemporalDeployWorkflowStarter(WorkflowClient client) {
    this.client = client;
  }

  @Override
  public void start(String workflowId, DeployRequest request, String tenantName) {
    DeployFunctionWorkflow workflow =
        client.newWorkflowStub(
            DeployFunctionWorkflow.class,
            WorkflowOptions.newBuilder()
                .setWorkflowId(workflowId)
                .setTaskQueue(TaskQueues.CONTROL)
                // One workflow per (tenant, function, version), ever: a retried request can't deploy twice.
                .setWorkflowIdReusePolicy(WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE)
                .setWorkflowExecutionTimeout(Duration.ofHours(1))
                .setTypedSearchAttributes(SearchAttributeKeys.of(tenantName, request.functionName(), request.version()))
                .build());
    try {
      WorkflowClient.start(workflow::deploy, request);
    } catch (WorkflowExecutionAlreadyStarted alreadyStarted) {
      // Same id: this deploy is already running or done; nothing to start.
    } catch (WorkflowServiceException | StatusRuntimeException e) {
      throw new DeployNotStartedException("the workflow service did not accept the deploy: " + e.getMessage(), e);
    }
  }

  @Override
  public Optional<DeployResult> await(String workflowId, Duration timeout) {
    WorkflowStub stub = client.newUntypedWorkflowStub(workflowId);
    try {
      return Optional.of(stub.getResult(timeout.toMillis(), TimeUnit.MILLISECONDS, DeployResult.class));
    } catch (TimeoutException e) {
      return Optional.empty();
    } catch (WorkflowFailedException e) {
      throw new DeployFailedException("the deploy failed", e);
    }
  }
}

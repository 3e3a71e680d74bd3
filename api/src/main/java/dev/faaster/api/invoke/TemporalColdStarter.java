package dev.faaster.api.invoke;

import dev.faaster.workflows.SearchAttributeKeys;
import dev.faaster.workflows.TaskQueues;
import dev.faaster.workflows.coldstart.ColdStartRequest;
import dev.faaster.workflows.coldstart.ColdStartResult;
import dev.faaster.workflows.coldstart.ColdStartWorkflow;
import dev.faaster.workflows.coldstart.ColdStartWorkflowIds;
import io.grpc.StatusRuntimeException;
import io.temporal.api.enums.v1.WorkflowIdReusePolicy;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowExecutionAlreadyStarted;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowServiceException;
import io.temporal.client.WorkflowStub;
import io.temporal.failure.ApplicationFailure;
import jakarta.inject.Singleton;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * Starts one {@link ColdStartWorkflow} per instance on the control task queue and awaits its result
 * without holding a thread. With {@code faaster.invocations.eager-start} the start request asks for
 * eager execution: when this process also runs a worker for the queue, the workflow's first task
 * comes back in the start response instead of through a poll.
 */
@Singleton
public class TemporalColdStarter implements ColdStarter {

  private final WorkflowClient client;
  private final InvocationSettings settings;

  public TemporalColdStarter(WorkflowClient client, InvocationSettings settings) {
    this.client = client;
    this.settings = settings;
  }

  @Override
  public CompletionStage<ColdStartResult> start(ColdStartRequest request, String tenantName) {
    ColdStartWorkflow workflow =
        client.newWorkflowStub(
            ColdStartWorkflow.class,
            WorkflowOptions.newBuilder()
                .setWorkflowId(ColdStartWorkflowIds.of(request.instanceId()))
                .setTaskQueue(TaskQueues.CONTROL)
                // One cold start per instance id, ever. No execution timeout: the workflow bounds its
                // own steps, and a timeout would cut its compensation short.
                .setWorkflowIdReusePolicy(WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE)
                .setDisableEagerExecution(!settings.eagerStart())
                .setTypedSearchAttributes(SearchAttributeKeys.of(tenantName, request.functionName(), request.version()))
                .build());
    try {
      WorkflowClient.start(workflow::start, request);
    } catch (WorkflowExecutionAlreadyStarted alreadyStarted) {
      // The same instance's cold start: await the one that runs.
    } catch (WorkflowServiceException | StatusRuntimeException e) {
      return CompletableFuture.failedFuture(
          new ColdStartFailedException(null, "the workflow service did not accept the cold start: " + e.getMessage(), e));
    }
    return WorkflowStub.fromTyped(workflow)
        .getResultAsync(ColdStartResult.class)
        .exceptionallyCompose(error -> CompletableFuture.failedFuture(failure(request, error)));
  }

  /** The failure with the cold start's own failure type, found anywhere in the cause chain. */
  static ColdStartFailedException failure(ColdStartRequest request, Throwable error) {
    Throwable top = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    String type = null;
    String message = top.getMessage();
    for (Throwable t = top; t != null; t = t.getCause()) {
      if (t instanceof ApplicationFailure failure && failure.getType() != null) {
        type = failure.getType();
        message = failure.getOriginalMessage();
        break;
      }
    }
    return new ColdStartFailedException(
        type, "cold start of " + request.instanceId() + " failed: " + message, top);
  }
}

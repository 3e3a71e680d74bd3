package dev.faaster.api.invoke;

import dev.faaster.api.ApiRole;
import dev.faaster.api.error.ApiException;
import dev.faaster.api.error.ErrorCode;
import dev.faaster.workflows.SearchAttributeKeys;
import dev.faaster.workflows.TaskQueues;
import dev.faaster.workflows.invoke.AsyncInvocationRequest;
import dev.faaster.workflows.invoke.AsyncInvocationResult;
import dev.faaster.workflows.invoke.AsyncInvocationWorkflow;
import dev.faaster.workflows.invoke.AsyncInvocationWorkflowIds;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.micronaut.context.annotation.Requires;
import io.micronaut.http.HttpStatus;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.api.enums.v1.WorkflowIdReusePolicy;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowExecutionDescription;
import io.temporal.client.WorkflowNotFoundException;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowServiceException;
import io.temporal.client.WorkflowStub;
import jakarta.inject.Singleton;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@link AsyncInvocationWorkflow} per event (id {@code invoke-<invocation id>}): its input is
 * the event, its memo says whose it is, its result is the outcome. Nothing is kept beside it, so
 * an event's result lives as long as the namespace keeps closed workflows (its retention).
 */
@Singleton
@Requires(property = "faaster.roles", pattern = ApiRole.PATTERN)
public class TemporalAsyncInvocations implements AsyncInvocations {

  static final String MEMO_TENANT = "tenantId";
  static final String MEMO_FUNCTION_ID = "functionId";
  static final String MEMO_FUNCTION_NAME = "functionName";
  static final String MEMO_VERSION = "version";

  private static final Logger log = LoggerFactory.getLogger(TemporalAsyncInvocations.class);

  private final WorkflowClient client;

  public TemporalAsyncInvocations(WorkflowClient client) {
    this.client = client;
  }

  @Override
  public void start(AsyncInvocationRequest request, String tenantName) {
    AsyncInvocationWorkflow workflow =
        client.newWorkflowStub(
            AsyncInvocationWorkflow.class,
            WorkflowOptions.newBuilder()
                .setWorkflowId(AsyncInvocationWorkflowIds.of(request.invocationId()))
                .setTaskQueue(TaskQueues.CONTROL)
                .setWorkflowIdReusePolicy(WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE)
                .setMemo(
                    Map.of(
                        MEMO_TENANT, request.tenantId(),
                        MEMO_FUNCTION_ID, request.functionId(),
                        MEMO_FUNCTION_NAME, request.functionName(),
                        MEMO_VERSION, request.version()))
                .setTypedSearchAttributes(SearchAttributeKeys.of(tenantName, request.functionName(), request.version()))
                .build());
    try {
      WorkflowClient.start(workflow::invoke, request);
    } catch (WorkflowServiceException | StatusRuntimeException e) {
      log.warn("event {} of function {}: the workflow service refused its start", request.invocationId(),
          request.functionName(), e);
      throw new ApiException(
          HttpStatus.SERVICE_UNAVAILABLE,
          ErrorCode.SERVICE_UNAVAILABLE,
          "The event could not be accepted now (the workflow service refused it); retry.");
    }
  }

  @Override
  public Optional<AsyncInvocationState> find(String invocationId) {
    WorkflowStub stub =
        client.newUntypedWorkflowStub(
            AsyncInvocationWorkflowIds.of(invocationId), Optional.empty(), Optional.of("AsyncInvocationWorkflow"));
    WorkflowExecutionDescription description;
    try {
      description = stub.describe();
    } catch (WorkflowNotFoundException e) {
      return Optional.empty();
    } catch (WorkflowServiceException | StatusRuntimeException e) {
      if (Status.fromThrowable(e).getCode() == Status.Code.NOT_FOUND) {
        return Optional.empty();
      }
      log.warn("event {}: its workflow can't be described", invocationId, e);
      throw unavailable();
    }
    if (!"AsyncInvocationWorkflow".equals(description.getWorkflowType())) {
      return Optional.empty();
    }
    String tenantId = memo(description, MEMO_TENANT, String.class);
    String functionId = memo(description, MEMO_FUNCTION_ID, String.class);
    String functionName = memo(description, MEMO_FUNCTION_NAME, String.class);
    Integer version = memo(description, MEMO_VERSION, Integer.class);
    if (tenantId == null || functionId == null || functionName == null || version == null) {
      return Optional.empty();
    }
    WorkflowExecutionStatus status = description.getStatus();
    if (status == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING
        || status == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW) {
      return Optional.of(new AsyncInvocationState(tenantId, functionId, functionName, version, true, null, null));
    }
    if (status == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED) {
      AsyncInvocationResult result;
      try {
        result = stub.getResult(AsyncInvocationResult.class);
      } catch (RuntimeException e) {
        log.warn("event {}: its result can't be read", invocationId, e);
        throw unavailable();
      }
      return Optional.of(new AsyncInvocationState(tenantId, functionId, functionName, version, false, result, null));
    }
    String how = status.name().replace("WORKFLOW_EXECUTION_STATUS_", "");
    return Optional.of(new AsyncInvocationState(tenantId, functionId, functionName, version, false, null, how));
  }

  private static <T> T memo(WorkflowExecutionDescription description, String key, Class<T> type) {
    Object value = description.getMemo(key, type);
    return type.isInstance(value) ? type.cast(value) : null;
  }

  private static ApiException unavailable() {
    return new ApiException(
        HttpStatus.SERVICE_UNAVAILABLE, ErrorCode.SERVICE_UNAVAILABLE, "The invocation's state can't be read now; retry.");
  }
}

package dev.faaster.api.invoke;

import dev.faaster.workflows.NodeTaskQueues;
import dev.faaster.workflows.SearchAttributeKeys;
import dev.faaster.workflows.TaskQueues;
import dev.faaster.workflows.coldstart.ColdStartRequest;
import dev.faaster.workflows.coldstart.ColdStartResult;
import dev.faaster.workflows.coldstart.ColdStartWorkflow;
import dev.faaster.workflows.coldstart.ColdStartWorkflowIds;
import dev.faaster.workflows.coldstart.NodePlacement;
import dev.faaster.workflows.schedule.SlotActivities;
import dev.faaster.workflows.schedule.SlotGrant;
import io.micronaut.core.annotation.Nullable;
import io.grpc.StatusRuntimeException;
import io.temporal.api.enums.v1.WorkflowIdReusePolicy;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowExecutionAlreadyStarted;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowServiceException;
import io.temporal.client.WorkflowStub;
import io.temporal.failure.ApplicationFailure;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts one {@link ColdStartWorkflow} per instance and awaits its result without holding a thread.
 *
 * <p>Where it goes: in a process that holds the scheduler's free lists (role {@code worker}, as in
 * the embedded default) and with {@code faaster.invocations.place-on-node}, the slot is reserved here
 * and the workflow starts on that node's task queue, where the node's worker runs the node steps as
 * local activities; elsewhere it starts on the control queue and reserves its own slot. With {@code
 * faaster.invocations.eager-start} the start request asks for eager execution: when this process
 * also runs a worker for the queue, the workflow's first task comes back in the start response
 * instead of through a poll.
 */
@Singleton
public class TemporalColdStarter implements ColdStarter {

  private static final Logger log = LoggerFactory.getLogger(TemporalColdStarter.class);

  private final WorkflowClient client;
  private final InvocationSettings settings;
  private final SlotActivities slots;
  private final ColdStartProbe probe;
  private volatile boolean placeOnNode;

  /** A starter without the scheduler: every cold start reserves its own slot on the control queue. */
  public TemporalColdStarter(WorkflowClient client, InvocationSettings settings) {
    this(client, settings, null);
  }

  /** @param slots this process's scheduler (role {@code worker}), or null where it has none */
  @Inject
  public TemporalColdStarter(WorkflowClient client, InvocationSettings settings, @Nullable SlotActivities slots) {
    this.client = client;
    this.settings = settings;
    this.slots = slots;
    this.probe = new TemporalColdStartProbe(client);
    this.placeOnNode = settings.placeOnNode() && slots != null;
  }

  /** Switches placement at run time, for benchmarks that compare both; a no-op without the scheduler. */
  public void placeOnNode(boolean enabled) {
    placeOnNode = enabled && slots != null;
  }

  @Override
  public CompletionStage<ColdStartResult> start(ColdStartRequest request, String tenantName) {
    String queue = TaskQueues.CONTROL;
    if (placeOnNode) {
      long reserving = System.nanoTime();
      SlotGrant slot;
      try {
        slot = slots.reserve(request.instanceId(), request.memoryMb());
      } catch (ApplicationFailure refused) {
        return CompletableFuture.failedFuture(failure(request, refused));
      } catch (RuntimeException e) {
        return CompletableFuture.failedFuture(
            new ColdStartFailedException(null, "no slot could be reserved: " + e.getMessage(), e));
      }
      request = request.placedOn(new NodePlacement(slot, (System.nanoTime() - reserving) / 1_000_000));
      queue = NodeTaskQueues.of(slot.nodeId());
    }
    return startOn(queue, request, tenantName);
  }

  private CompletionStage<ColdStartResult> startOn(String queue, ColdStartRequest request, String tenantName) {
    ColdStartWorkflow workflow =
        client.newWorkflowStub(
            ColdStartWorkflow.class,
            WorkflowOptions.newBuilder()
                .setWorkflowId(ColdStartWorkflowIds.of(request.instanceId()))
                .setTaskQueue(queue)
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
      boolean settled = settleUnstarted(request);
      return CompletableFuture.failedFuture(
          new ColdStartFailedException(
              null, "the workflow service did not accept the cold start: " + e.getMessage(), e, !settled));
    }
    return WorkflowStub.fromTyped(workflow)
        .getResultAsync(ColdStartResult.class)
        .exceptionallyCompose(error -> CompletableFuture.failedFuture(failure(request, error)));
  }

  /**
   * After a failed start RPC: true when the service says no such workflow exists, and then the slot
   * of a placed cold start is freed here. False when a workflow did start (a start that failed on
   * the way back, a timeout after the server accepted it: the workflow owns its slot and may still
   * make an instance) or the service can't be asked either; the router then hands the instance to
   * the orphan reconciler, which settles it once the service answers.
   */
  private boolean settleUnstarted(ColdStartRequest request) {
    String slotId = request.placement() != null ? request.placement().slot().slotId() : null;
    try {
      if (probe.stateOf(request.instanceId()).phase() != ColdStartState.Phase.NOT_FOUND) {
        log.warn("cold start of instance {} started although its start RPC failed; left to the orphan reconciler",
            request.instanceId());
        return false;
      }
    } catch (RuntimeException e) {
      log.warn("cold start of instance {} failed to start and whether it started is unknown ({}); slot {} is left"
          + " to the orphan reconciler", request.instanceId(), e.getMessage(), slotId);
      return false;
    }
    if (slotId == null) {
      return true;
    }
    try {
      slots.release(request.instanceId());
      return true;
    } catch (RuntimeException e) {
      log.warn("could not free slot {} of instance {} whose cold start never started ({}); left to the orphan"
          + " reconciler", slotId, request.instanceId(), e.getMessage());
      return false;
    }
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

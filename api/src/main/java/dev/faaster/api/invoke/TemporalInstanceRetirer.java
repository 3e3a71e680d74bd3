package dev.faaster.api.invoke;

import dev.faaster.workflows.TaskQueues;
import dev.faaster.workflows.coldstart.ColdStartWorkflowIds;
import dev.faaster.workflows.coldstart.RetireInstanceWorkflow;
import dev.faaster.workflows.coldstart.RetireRequest;
import io.temporal.api.enums.v1.WorkflowIdConflictPolicy;
import io.temporal.api.enums.v1.WorkflowIdReusePolicy;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowExecutionAlreadyStarted;
import io.temporal.client.WorkflowOptions;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts {@link RetireInstanceWorkflow} for an instance, off the caller's thread: the invocation
 * that found the instance broken answers without waiting for the start. A retirement already
 * running for the instance is joined, and one that finished is not repeated.
 */
@Singleton
public class TemporalInstanceRetirer implements InstanceRetirer {

  private static final Logger log = LoggerFactory.getLogger(TemporalInstanceRetirer.class);

  private final WorkflowClient client;
  private final ExecutorService starts =
      Executors.newCachedThreadPool(
          task -> {
            Thread thread = new Thread(task, "faaster-retire");
            thread.setDaemon(true);
            return thread;
          });

  private final Queue<String> started = new ConcurrentLinkedQueue<>();

  public TemporalInstanceRetirer(WorkflowClient client) {
    this.client = client;
  }

  @Override
  public void retire(String instanceId, String nodeId, String reason) {
    starts.execute(() -> start(new RetireRequest(instanceId, nodeId, reason)));
  }

  @Override
  public boolean awaitRetirements(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    try {
      starts.shutdown();
      if (!starts.awaitTermination(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
        return false;
      }
      for (String workflowId; (workflowId = started.poll()) != null; ) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        client.newUntypedWorkflowStub(workflowId).getResult(left, TimeUnit.NANOSECONDS, Void.class);
      }
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } catch (TimeoutException | RuntimeException e) {
      log.warn("retirements not all done at shutdown ({}); they finish when a worker runs them", e.getMessage());
      return false;
    }
  }

  /** Starts the retirement on the calling thread. */
  void start(RetireRequest request) {
    RetireInstanceWorkflow workflow =
        client.newWorkflowStub(
            RetireInstanceWorkflow.class,
            WorkflowOptions.newBuilder()
                .setWorkflowId(ColdStartWorkflowIds.retireOf(request.instanceId()))
                .setTaskQueue(TaskQueues.CONTROL)
                // One retirement per instance: a running one is joined, a finished one not repeated
                // (only a failed one may run again).
                .setWorkflowIdConflictPolicy(WorkflowIdConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING)
                .setWorkflowIdReusePolicy(WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY)
                .build());
    try {
      WorkflowClient.start(workflow::retire, request);
      started.add(ColdStartWorkflowIds.retireOf(request.instanceId()));
      log.info("retiring instance {} on {} ({})", request.instanceId(), request.nodeId(), request.reason());
    } catch (WorkflowExecutionAlreadyStarted alreadyStarted) {
      // Retired before: every step is idempotent, nothing to add.
    } catch (RuntimeException e) {
      // The node's reconciler destroys VMs no live instance owns, so the VM is not leaked for good.
      log.warn("could not start the retirement of instance {} ({}): {}", request.instanceId(), request.reason(), e.getMessage());
    }
  }

  @PreDestroy
  void close() {
    starts.shutdown();
  }
}

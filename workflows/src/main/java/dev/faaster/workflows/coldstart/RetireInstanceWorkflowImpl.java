package dev.faaster.workflows.coldstart;

import dev.faaster.workflows.NodeTaskQueues;
import dev.faaster.workflows.TaskQueues;
import dev.faaster.workflows.code.CodeActivities;
import dev.faaster.workflows.instance.InstanceActivities;
import dev.faaster.workflows.route.RouteActivities;
import dev.faaster.workflows.schedule.SlotActivities;
import io.temporal.activity.ActivityOptions;
import io.temporal.common.RetryOptions;
import io.temporal.workflow.Workflow;
import java.time.Duration;
import org.slf4j.Logger;

/**
 * Deterministic retirement: routes, VM and code on the instance's node, then its slot on the
 * control plane. Off the request path, so every step retries patiently instead of giving up.
 */
public class RetireInstanceWorkflowImpl implements RetireInstanceWorkflow {

  private static final Logger log = Workflow.getLogger(RetireInstanceWorkflowImpl.class);

  /** The reason given when the node stopped heartbeating and its slots are withdrawn. */
  static final String NODE_LOST = "node-lost";

  /** Every step is idempotent: retry until it gets through or the step's total time runs out. */
  static final RetryOptions RETRY =
      RetryOptions.newBuilder()
          .setInitialInterval(Duration.ofSeconds(1))
          .setBackoffCoefficient(2.0)
          .setMaximumInterval(Duration.ofMinutes(1))
          .build();

  /** One attempt of a step. */
  static final Duration STEP_TIMEOUT = Duration.ofSeconds(30);

  /**
   * All attempts of a node step, queue time included. A node away longer than this is declared lost
   * by the scheduler; the slot then goes with a {@value #NODE_LOST} retirement.
   */
  static final Duration NODE_STEP_TOTAL = Duration.ofHours(1);

  /** All attempts of the slot release: the control plane's database coming back. */
  static final Duration CONTROL_STEP_TOTAL = Duration.ofHours(1);

  private final SlotActivities slots =
      Workflow.newActivityStub(
          SlotActivities.class,
          ActivityOptions.newBuilder()
              .setTaskQueue(TaskQueues.CONTROL)
              .setStartToCloseTimeout(STEP_TIMEOUT)
              .setScheduleToCloseTimeout(CONTROL_STEP_TOTAL)
              .setRetryOptions(RETRY)
              .build());

  @Override
  public void retire(RetireRequest request) {
    String instanceId = request.instanceId();
    log.info("retiring instance {} on {}: {}", instanceId, request.nodeId(), request.reason());
    if (NODE_LOST.equals(request.reason())) {
      // The node is gone and cannot be reached; its reconciler destroys orphan domains when it returns.
      log.info("instance {}: node {} is lost, skipping its steps", instanceId, request.nodeId());
    } else {
      ActivityOptions onNode =
          ActivityOptions.newBuilder()
              .setTaskQueue(NodeTaskQueues.of(request.nodeId()))
              .setStartToCloseTimeout(STEP_TIMEOUT)
              .setScheduleToCloseTimeout(NODE_STEP_TOTAL)
              .setRetryOptions(RETRY)
              .build();
      // No traffic to the VM first, then the VM, then the code it read in place. A step that fails
      // for good fails the retirement before the slot is freed: a VM that may still run keeps it.
      Workflow.newActivityStub(RouteActivities.class, onNode).detach(instanceId);
      Workflow.newActivityStub(InstanceActivities.class, onNode).destroy(instanceId);
      Workflow.newActivityStub(CodeActivities.class, onNode).releaseCode(instanceId);
    }
    slots.release(instanceId);
    log.info("retired instance {} ({})", instanceId, request.reason());
  }
}

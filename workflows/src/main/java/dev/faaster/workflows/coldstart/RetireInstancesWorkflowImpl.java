package dev.faaster.workflows.coldstart;

import static dev.faaster.workflows.coldstart.RetireInstanceWorkflowImpl.CONTROL_STEP_TOTAL;
import static dev.faaster.workflows.coldstart.RetireInstanceWorkflowImpl.NODE_LOST;
import static dev.faaster.workflows.coldstart.RetireInstanceWorkflowImpl.NODE_STEP_TOTAL;
import static dev.faaster.workflows.coldstart.RetireInstanceWorkflowImpl.RETRY;
import static dev.faaster.workflows.coldstart.RetireInstanceWorkflowImpl.STEP_TIMEOUT;

import dev.faaster.workflows.FailureReasons;
import dev.faaster.workflows.NodeTaskQueues;
import dev.faaster.workflows.TaskQueues;
import dev.faaster.workflows.code.BatchCodeActivities;
import dev.faaster.workflows.instance.BatchInstanceActivities;
import dev.faaster.workflows.route.BatchRouteActivities;
import dev.faaster.workflows.schedule.BatchSlotActivities;
import io.temporal.activity.ActivityOptions;
import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.TemporalFailure;
import io.temporal.workflow.Async;
import io.temporal.workflow.Promise;
import io.temporal.workflow.Workflow;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;

/**
 * Deterministic batch retirement: {@link RetireInstanceWorkflowImpl}'s order and patience (routes,
 * VMs and code on each node, then the slots on the control plane; every step retried until it gets
 * through or its total time runs out), one call per step per node instead of per instance.
 */
public class RetireInstancesWorkflowImpl implements RetireInstancesWorkflow {

  private static final Logger log = Workflow.getLogger(RetireInstancesWorkflowImpl.class);

  /** Per instance, how much a batch call's start-to-close grows beyond one step's timeout. */
  static final Duration SHARE = Duration.ofMillis(500);

  /** A batch call heartbeats about every second; silence this long means its worker is gone. */
  static final Duration HEARTBEAT_TIMEOUT = Duration.ofSeconds(20);

  @Override
  public void retireAll(RetireInstancesRequest request) {
    List<RetireRequest> instances = validated(request);
    Map<String, List<String>> byNode = new LinkedHashMap<>();
    List<String> freed = new ArrayList<>();
    for (RetireRequest instance : instances) {
      if (NODE_LOST.equals(instance.reason())) {
        // The node is gone and cannot be reached; its reconciler destroys orphan domains when it returns.
        freed.add(instance.instanceId());
      } else {
        byNode.computeIfAbsent(instance.nodeId(), node -> new ArrayList<>()).add(instance.instanceId());
      }
    }
    log.info("retiring {} instance(s) on {} node(s) ({} on lost nodes)", instances.size(), byNode.size(), freed.size());

    Map<String, Promise<Boolean>> nodes = new LinkedHashMap<>();
    byNode.forEach((node, ids) -> nodes.put(node, Async.function(() -> retireOnNode(node, ids))));
    List<String> incomplete = new ArrayList<>();
    for (Map.Entry<String, Promise<Boolean>> node : nodes.entrySet()) {
      if (node.getValue().get()) {
        freed.addAll(byNode.get(node.getKey()));
      } else {
        incomplete.add(node.getKey());
      }
    }

    if (!freed.isEmpty()) {
      Workflow.newActivityStub(
              BatchSlotActivities.class,
              ActivityOptions.newBuilder()
                  .setTaskQueue(TaskQueues.CONTROL)
                  .setStartToCloseTimeout(STEP_TIMEOUT.plus(SHARE.multipliedBy(freed.size())))
                  .setScheduleToCloseTimeout(CONTROL_STEP_TOTAL)
                  .setRetryOptions(RETRY)
                  .build())
          .releaseSlots(freed);
    }
    if (!incomplete.isEmpty()) {
      throw ApplicationFailure.newNonRetryableFailure(
          "the instances on node(s) " + incomplete + " could not be retired; their slots stay held", RETIRE_INCOMPLETE);
    }
    log.info("retired {} instance(s)", instances.size());
  }

  /**
   * No traffic to the VMs first, then the VMs, then the code they read in place. A step that fails
   * for good stops there: its instances keep their slots.
   */
  private boolean retireOnNode(String nodeId, List<String> ids) {
    ActivityOptions onNode =
        ActivityOptions.newBuilder()
            .setTaskQueue(NodeTaskQueues.of(nodeId))
            .setStartToCloseTimeout(STEP_TIMEOUT.plus(SHARE.multipliedBy(ids.size())))
            .setHeartbeatTimeout(HEARTBEAT_TIMEOUT)
            .setScheduleToCloseTimeout(NODE_STEP_TOTAL)
            .setRetryOptions(RETRY)
            .build();
    try {
      Workflow.newActivityStub(BatchRouteActivities.class, onNode).detachAll(ids);
      Workflow.newActivityStub(BatchInstanceActivities.class, onNode).destroyAll(ids);
      Workflow.newActivityStub(BatchCodeActivities.class, onNode).releaseCodeOfAll(ids);
      return true;
    } catch (TemporalFailure failure) {
      log.error("node {}: {} instance(s) not retired, slots kept: {}", nodeId, ids.size(),
          FailureReasons.of(failure));
      return false;
    }
  }

  private static List<RetireRequest> validated(RetireInstancesRequest request) {
    List<RetireRequest> instances = request == null ? null : request.instances();
    if (instances == null || instances.isEmpty() || instances.size() > ProvisionInstancesWorkflow.MAX_INSTANCES) {
      throw ApplicationFailure.newNonRetryableFailure(
          "a retirement batch has 1 to " + ProvisionInstancesWorkflow.MAX_INSTANCES + " instances, not "
              + (instances == null ? 0 : instances.size()),
          ProvisionInstancesWorkflow.INVALID_REQUEST);
    }
    Set<String> seen = new HashSet<>();
    for (RetireRequest instance : instances) {
      if (instance == null || instance.instanceId() == null || instance.nodeId() == null
          || !seen.add(instance.instanceId())) {
        throw ApplicationFailure.newNonRetryableFailure(
            "every instance needs an id and a node, and each id once: " + instance,
            ProvisionInstancesWorkflow.INVALID_REQUEST);
      }
    }
    return instances;
  }
}

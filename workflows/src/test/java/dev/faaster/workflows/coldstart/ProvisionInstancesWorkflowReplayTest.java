package dev.faaster.workflows.coldstart;

import static dev.faaster.workflows.RecordedHistories.activityTypes;
import static dev.faaster.workflows.RecordedHistories.localActivityMarkers;
import static dev.faaster.workflows.RecordedHistories.lastEventType;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.faaster.workflows.NodeTaskQueues;
import dev.faaster.workflows.TaskQueues;
import dev.faaster.workflows.code.BatchCodeActivities;
import dev.faaster.workflows.instance.BatchInstanceActivities;
import dev.faaster.workflows.route.BatchRouteActivities;
import dev.faaster.workflows.schedule.BatchSlotActivities;
import io.temporal.activity.ActivityOptions;
import io.temporal.api.enums.v1.EventType;
import io.temporal.testing.WorkflowReplayer;
import io.temporal.worker.NonDeterministicException;
import io.temporal.workflow.Workflow;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Replays a recorded provisioning batch and a batch retirement against the current
 * implementations: a change that would break batches in flight fails here. Histories are written by
 * {@link ProvisionHistoryGeneratorTest}.
 */
class ProvisionInstancesWorkflowReplayTest {

  static final String PARTIAL = "histories/provision-partial.json";
  static final String RETIRED = "histories/retire-batch.json";

  @Test
  void partialBatchReplays() throws Exception {
    // The node template first (a local step), then VMs, code and routes (scheduled in one task), the
    // load, then the undo of the failed instance: one call per step for the whole batch.
    assertThat(activityTypes(PARTIAL))
        .containsExactly(
            "CreateAllFromTemplate", "EnsureCodeOnNodeForAll", "AttachAll", "LoadCodeIntoAll", "DestroyAll",
            "DetachAll", "ReleaseCodeOfAll");
    assertThat(localActivityMarkers(PARTIAL)).isEqualTo(3); // ReserveSlots, CurrentTemplate, ReleaseSlots
    assertThat(lastEventType(PARTIAL)).isEqualTo(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED);

    assertThatCode(() -> WorkflowReplayer.replayWorkflowExecutionFromResource(PARTIAL, ProvisionInstancesWorkflowImpl.class))
        .doesNotThrowAnyException();
  }

  @Test
  void batchRetirementReplays() throws Exception {
    assertThat(activityTypes(RETIRED)).containsExactly("DetachAll", "DestroyAll", "ReleaseCodeOfAll", "ReleaseSlots");
    assertThat(lastEventType(RETIRED)).isEqualTo(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED);

    assertThatCode(() -> WorkflowReplayer.replayWorkflowExecutionFromResource(RETIRED, RetireInstancesWorkflowImpl.class))
        .doesNotThrowAnyException();
  }

  @Test
  void replayRejectsABatchRetirementThatFreesTheSlotsBeforeTheVmsAreGone() {
    Throwable thrown =
        catchThrowable(() -> WorkflowReplayer.replayWorkflowExecutionFromResource(RETIRED, FreesSlotsFirst.class));

    assertThat(thrown)
        .isInstanceOf(RuntimeException.class)
        .hasMessageContaining(NonDeterministicException.class.getName());
  }

  /** The same workflow type with the slots freed first: replaying recorded retirements must refuse it. */
  public static class FreesSlotsFirst implements RetireInstancesWorkflow {

    @Override
    public void retireAll(RetireInstancesRequest request) {
      ActivityOptions control =
          ActivityOptions.newBuilder().setTaskQueue(TaskQueues.CONTROL).setStartToCloseTimeout(Duration.ofSeconds(30)).build();
      List<String> ids = request.instances().stream().map(RetireRequest::instanceId).collect(Collectors.toList());
      ActivityOptions node =
          control.toBuilder().setTaskQueue(NodeTaskQueues.of(request.instances().get(0).nodeId())).build();
      Workflow.newActivityStub(BatchSlotActivities.class, control).releaseSlots(ids);
      Workflow.newActivityStub(BatchRouteActivities.class, node).detachAll(ids);
      Workflow.newActivityStub(BatchInstanceActivities.class, node).destroyAll(ids);
      Workflow.newActivityStub(BatchCodeActivities.class, node).releaseCodeOfAll(ids);
    }
  }
}

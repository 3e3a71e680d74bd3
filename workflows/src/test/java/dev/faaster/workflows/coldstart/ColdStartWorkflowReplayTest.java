package dev.faaster.workflows.coldstart;

import static dev.faaster.workflows.RecordedHistories.activityTypes;
import static dev.faaster.workflows.RecordedHistories.localActivityMarkers;
import static dev.faaster.workflows.RecordedHistories.lastEventType;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.faaster.workflows.NodeTaskQueues;
import dev.faaster.workflows.code.CodeActivities;
import dev.faaster.workflows.instance.InstanceActivities;
import dev.faaster.workflows.route.RouteActivities;
import dev.faaster.workflows.schedule.SlotActivities;
import io.temporal.activity.ActivityOptions;
import io.temporal.api.enums.v1.EventType;
import io.temporal.testing.WorkflowReplayer;
import io.temporal.worker.NonDeterministicException;
import io.temporal.workflow.Workflow;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Replays recorded cold starts and retirements against the current implementations: a change that
 * would break instances' workflows in flight fails here. Histories are written by {@link
 * ColdStartHistoryGeneratorTest}.
 */
class ColdStartWorkflowReplayTest {

  static final String RESTORED = "histories/coldstart-restored.json";
  static final String COMPENSATED = "histories/coldstart-compensated.json";
  static final String RETIRED = "histories/retire-idle.json";
  static final String PLACED_RESTORED = "histories/coldstart-placed-restored.json";
  static final String PLACED_COMPENSATED = "histories/coldstart-placed-compensated.json";

  @Test
  void restoredColdStartReplays() throws Exception {
    // VM, code and routes are scheduled in one workflow task, so their order in the history is fixed.
    assertThat(activityTypes(RESTORED))
        .containsExactly("EnsureCodeOnNode", "Attach", "CreateFromTemplate", "LoadCode");
    assertThat(localActivityMarkers(RESTORED)).isEqualTo(2); // Reserve, CurrentTemplate
    assertThat(lastEventType(RESTORED)).isEqualTo(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED);

    assertThatCode(() -> WorkflowReplayer.replayWorkflowExecutionFromResource(RESTORED, ColdStartWorkflowImpl.class))
        .doesNotThrowAnyException();
  }

  @Test
  void compensatedColdStartReplays() throws Exception {
    assertThat(activityTypes(COMPENSATED))
        .containsExactly(
            "EnsureCodeOnNode", "Attach", "CreateFromTemplate", "LoadCode", "Destroy", "Detach", "ReleaseCode");
    assertThat(localActivityMarkers(COMPENSATED)).isEqualTo(3); // Reserve, CurrentTemplate, Release
    assertThat(lastEventType(COMPENSATED)).isEqualTo(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED);

    assertThatCode(
            () -> WorkflowReplayer.replayWorkflowExecutionFromResource(COMPENSATED, ColdStartWorkflowImpl.class))
        .doesNotThrowAnyException();
  }

  @Test
  void placedColdStartReplays() throws Exception {
    // Everything ran in the node's worker: no activity dispatched, one marker per step.
    assertThat(activityTypes(PLACED_RESTORED)).isEmpty();
    assertThat(localActivityMarkers(PLACED_RESTORED)).isEqualTo(5); // CurrentTemplate, VM, code, routes, load
    assertThat(lastEventType(PLACED_RESTORED)).isEqualTo(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED);

    assertThatCode(
            () -> WorkflowReplayer.replayWorkflowExecutionFromResource(PLACED_RESTORED, ColdStartWorkflowImpl.class))
        .doesNotThrowAnyException();
  }

  @Test
  void placedCompensatedColdStartReplays() throws Exception {
    // The node's undos are local; the slot goes back through the control queue.
    assertThat(activityTypes(PLACED_COMPENSATED)).containsExactly("Release");
    assertThat(localActivityMarkers(PLACED_COMPENSATED)).isEqualTo(8); // 5 steps, Destroy, Detach, ReleaseCode
    assertThat(lastEventType(PLACED_COMPENSATED)).isEqualTo(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED);

    assertThatCode(
            () -> WorkflowReplayer.replayWorkflowExecutionFromResource(PLACED_COMPENSATED, ColdStartWorkflowImpl.class))
        .doesNotThrowAnyException();
  }

  @Test
  void retirementReplays() throws Exception {
    assertThat(activityTypes(RETIRED)).containsExactly("Detach", "Destroy", "ReleaseCode", "Release");
    assertThat(lastEventType(RETIRED)).isEqualTo(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED);

    assertThatCode(() -> WorkflowReplayer.replayWorkflowExecutionFromResource(RETIRED, RetireInstanceWorkflowImpl.class))
        .doesNotThrowAnyException();
  }

  @Test
  void replayRejectsARetirementThatFreesTheSlotBeforeTheVmIsGone() {
    Throwable thrown =
        catchThrowable(() -> WorkflowReplayer.replayWorkflowExecutionFromResource(RETIRED, FreesSlotFirst.class));

    // Replay runs as a query: the SDK reports the NonDeterministicException in the message, not as the cause.
    assertThat(thrown)
        .isInstanceOf(RuntimeException.class)
        .hasMessageContaining(NonDeterministicException.class.getName());
  }

  /** The same workflow type with the slot freed first: replaying recorded retirements must refuse it. */
  public static class FreesSlotFirst implements RetireInstanceWorkflow {

    @Override
    public void retire(RetireRequest request) {
      ActivityOptions control = ActivityOptions.newBuilder().setStartToCloseTimeout(Duration.ofSeconds(30)).build();
      ActivityOptions node =
          control.toBuilder().setTaskQueue(NodeTaskQueues.of(request.nodeId())).build();
      Workflow.newActivityStub(SlotActivities.class, control).release(request.instanceId());
      Workflow.newActivityStub(RouteActivities.class, node).detach(request.instanceId());
      Workflow.newActivityStub(InstanceActivities.class, node).destroy(request.instanceId());
      Workflow.newActivityStub(CodeActivities.class, node).releaseCode(request.instanceId());
    }
  }
}

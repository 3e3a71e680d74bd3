package dev.faaster.workflows.invoke;

import static dev.faaster.workflows.RecordedHistories.activityTypes;
import static dev.faaster.workflows.RecordedHistories.lastEventType;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import io.temporal.api.enums.v1.EventType;
import io.temporal.testing.WorkflowReplayer;
import org.junit.jupiter.api.Test;

/**
 * Replays a recorded event (a failed attempt, the pause, a successful retry) against the current
 * implementation: a change that would break events in flight fails here. The history is written by
 * {@link AsyncInvocationHistoryGeneratorTest}.
 */
class AsyncInvocationWorkflowReplayTest {

  static final String RETRIED = "histories/invoke-retried.json";

  @Test
  void aRetriedEventReplays() throws Exception {
    assertThat(activityTypes(RETRIED)).containsExactly("InvokeAsyncEvent", "InvokeAsyncEvent");
    assertThat(lastEventType(RETRIED)).isEqualTo(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED);

    assertThatCode(() -> WorkflowReplayer.replayWorkflowExecutionFromResource(RETRIED, AsyncInvocationWorkflowImpl.class))
        .doesNotThrowAnyException();
  }
}

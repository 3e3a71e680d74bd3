package dev.faaster.workflows.invoke;

import static org.assertj.core.api.Assertions.assertThat;

import dev.faaster.workflows.TaskQueues;
import io.temporal.api.enums.v1.EventType;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.client.WorkflowOptions;
import io.temporal.common.WorkflowExecutionHistory;
import io.temporal.testing.TestEnvironmentOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Writes the history {@link AsyncInvocationWorkflowReplayTest} replays: an event whose first
 * attempt fails and second succeeds. Skipped in normal builds; regenerate only for a change meant
 * to be incompatible with events in flight (behind a new workflow type or {@code
 * Workflow.getVersion}):
 *
 * <pre>
 * mvn -pl workflows test -Dtest=AsyncInvocationHistoryGeneratorTest -Dfaaster.regenerateHistories=true
 * </pre>
 */
@EnabledIfSystemProperty(named = "faaster.regenerateHistories", matches = "true")
class AsyncInvocationHistoryGeneratorTest {

  static final AsyncInvocationRequest REQUEST =
      new AsyncInvocationRequest("7b1e2c3d-0000-4000-8000-000000000001", "tenant-1", "fn-42", "resize-image", 3,
          "{\"size\":64}".getBytes(StandardCharsets.UTF_8), 3, Duration.ofSeconds(45), Duration.ofHours(6));

  /** Fails the first attempt with a function error, answers the second. */
  static final class RetriedOnce implements InvokeActivities {
    final AtomicInteger calls = new AtomicInteger();

    @Override
    public InvocationAttempt invoke(AsyncInvocationRequest request, int attempt) {
      byte[] ok = "{\"resized\":true}".getBytes(StandardCharsets.UTF_8);
      return calls.incrementAndGet() == 1
          ? new InvocationAttempt("FUNCTION_ERROR", null, 0, "ValueError", "bad size", 3, "i-0001")
          : new InvocationAttempt("OK", ok, ok.length, null, null, 3, "i-0001");
    }
  }

  @Test
  void writeRetriedThenSucceeded() throws IOException {
    TestEnvironmentOptions options =
        TestEnvironmentOptions.newBuilder()
            .setWorkflowClientOptions(WorkflowClientOptions.newBuilder().setIdentity("history-generator").build())
            .setInitialTime(Instant.parse("2025-01-01T00:00:00Z"))
            .build();
    WorkflowExecutionHistory history;
    try (TestWorkflowEnvironment env = TestWorkflowEnvironment.newInstance(options)) {
      env.newWorker(TaskQueues.CONTROL).registerWorkflowImplementationTypes(AsyncInvocationWorkflowImpl.class);
      env.newWorker(TaskQueues.INVOKE).registerActivitiesImplementations(new RetriedOnce());
      env.start();
      WorkflowClient client = env.getWorkflowClient();
      String workflowId = AsyncInvocationWorkflowIds.of(REQUEST.invocationId());
      client
          .newWorkflowStub(
              AsyncInvocationWorkflow.class,
              WorkflowOptions.newBuilder().setTaskQueue(TaskQueues.CONTROL).setWorkflowId(workflowId).build())
          .invoke(REQUEST);
      history = client.fetchHistory(workflowId);
    }

    assertThat(history.getLastEvent().getEventType()).isEqualTo(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED);
    Path file = Path.of("src/test/resources").resolve(AsyncInvocationWorkflowReplayTest.RETRIED);
    Files.createDirectories(file.getParent());
    Files.writeString(file, history.toJson(true) + "\n", StandardCharsets.UTF_8);
  }
}

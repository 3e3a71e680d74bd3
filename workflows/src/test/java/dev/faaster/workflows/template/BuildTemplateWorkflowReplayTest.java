package dev.faaster.workflows.template;

import static org.assertj.core.api.Assertions.assertThat;

import dev.faaster.workflows.NodeTaskQueues;
import dev.faaster.workflows.TaskQueues;
import io.temporal.api.enums.v1.EventType;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.client.WorkflowOptions;
import io.temporal.common.WorkflowExecutionHistory;
import io.temporal.testing.TestEnvironmentOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.testing.WorkflowReplayer;
import io.temporal.worker.Worker;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Replays a recorded build history against the current implementation: a change that would break
 * builds in flight fails here. Regenerate (only for an intended incompatible change) with
 * {@code mvn -pl workflows test -Dtest=BuildTemplateWorkflowReplayTest -Dfaaster.regenerateHistories=true}.
 */
class BuildTemplateWorkflowReplayTest {

  static final String HISTORY = "histories/template-built.json";

  @Test
  void aRecordedBuildReplaysDeterministically() throws Exception {
    WorkflowExecutionHistory history =
        WorkflowExecutionHistory.fromJson(
            new String(getClass().getClassLoader().getResourceAsStream(HISTORY).readAllBytes(), StandardCharsets.UTF_8));
    assertThat(history.getEvents())
        .extracting(e -> e.getEventType())
        .contains(EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED)
        .last()
        .isEqualTo(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED);
    WorkflowReplayer.replayWorkflowExecutionFromResource(HISTORY, BuildTemplateWorkflowImpl.class);
  }

  @Test
  @EnabledIfSystemProperty(named = "faaster.regenerateHistories", matches = "true")
  void regenerate() throws IOException {
    TestEnvironmentOptions options =
        TestEnvironmentOptions.newBuilder()
            .setWorkflowClientOptions(WorkflowClientOptions.newBuilder().setIdentity("history-generator").build())
            .setInitialTime(Instant.parse("2025-01-01T00:00:00Z"))
            .build();
    try (TestWorkflowEnvironment env = TestWorkflowEnvironment.newInstance(options)) {
      Worker control = env.newWorker(TaskQueues.CONTROL);
      control.registerWorkflowImplementationTypes(BuildTemplateWorkflowImpl.class);
      control.registerActivitiesImplementations(new TemplateRegistryActivities() {
        @Override
        public TemplateResult findReady(String nodeId, String runtime, String inputsDigest) {
          return null;
        }

        @Override
        public void recordTemplate(String nodeId, String templateId, TemplateInputs inputs, BuiltTemplate built) {}
      });
      env.newWorker(NodeTaskQueues.of(BuildTemplateWorkflowTest.NODE)).registerActivitiesImplementations(new TemplateNodeActivities() {
        @Override
        public TemplateInputs describeInputs(String runtime) {
          return BuildTemplateWorkflowTest.INPUTS;
        }

        @Override
        public BuiltTemplate bootAndSnapshot(String templateId, TemplateInputs inputs) {
          return BuildTemplateWorkflowTest.BUILT;
        }

        @Override
        public void deleteTemplate(String templateId) {}

        @Override
        public boolean holdsTemplate(String templateId) {
          return true;
        }
      });
      env.start();
      WorkflowClient client = env.getWorkflowClient();
      String id = BuildTemplateWorkflow.idOf(BuildTemplateWorkflowTest.NODE, "python3");
      client
          .newWorkflowStub(BuildTemplateWorkflow.class, WorkflowOptions.newBuilder().setTaskQueue(TaskQueues.CONTROL).setWorkflowId(id).build())
          .build(new BuildTemplateRequest(BuildTemplateWorkflowTest.NODE, "python3"));
      Path file = Path.of("src/test/resources").resolve(HISTORY);
      Files.createDirectories(file.getParent());
      Files.writeString(file, client.fetchHistory(id).toJson(true) + "\n", StandardCharsets.UTF_8);
    }
  }
}

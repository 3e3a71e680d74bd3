package dev.faaster.workflows.coldstart;

import static org.assertj.core.api.Assertions.assertThat;

import dev.faaster.workflows.NodeTaskQueues;
import dev.faaster.workflows.TaskQueues;
import io.temporal.api.enums.v1.EventType;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.client.WorkflowOptions;
import io.temporal.common.WorkflowExecutionHistory;
import io.temporal.failure.ApplicationFailure;
import io.temporal.testing.TestEnvironmentOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Writes the histories {@link ProvisionInstancesWorkflowReplayTest} replays. Skipped in normal
 * builds; regenerate only for a change meant to be incompatible with batches in flight (and shipped
 * behind a new workflow type or {@code Workflow.getVersion}). From the repository root:
 *
 * <pre>
 * mvn -pl workflows test -Dtest=ProvisionHistoryGeneratorTest -Dfaaster.regenerateHistories=true
 * </pre>
 */
@EnabledIfSystemProperty(named = "faaster.regenerateHistories", matches = "true")
class ProvisionHistoryGeneratorTest {

  static final Instant CLOCK = Instant.parse("2025-01-01T00:00:00Z");
  static final String NODE = "node-a";
  static final List<String> IDS = List.of("i-0001", "i-0002", "i-0003", "i-0004");

  static final ColdStartRequest TEMPLATE =
      new ColdStartRequest(
          null, "tenant-1", "fn-42", "resize-image", 3, "python3", "app.handler", 200,
          "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", Map.of("STAGE", "test"),
          "{}", StartMode.RESTORE);

  @Test
  void writePartial() throws IOException {
    // Three slots for four instances, and the guest of i-0002 refuses the code: one instance fails
    // at each end of the batch, the other two are ready.
    FakeBatchNode.Log log = new FakeBatchNode.Log();
    log.failAlways("loadCodeIntoAll", "i-0002",
        ApplicationFailure.newNonRetryableFailure("no module named app", ColdStartFailureTypes.CODE_LOAD_FAILED));
    WorkflowExecutionHistory history =
        run(log, 3, ProvisionInstancesWorkflow.idOf("b-0001"), client ->
            client
                .newWorkflowStub(
                    ProvisionInstancesWorkflow.class,
                    WorkflowOptions.newBuilder()
                        .setTaskQueue(TaskQueues.CONTROL)
                        .setWorkflowId(ProvisionInstancesWorkflow.idOf("b-0001"))
                        .build())
                .provision(new ProvisionRequest(TEMPLATE, IDS)));

    assertThat(history.getLastEvent().getEventType()).isEqualTo(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED);
    write(ProvisionInstancesWorkflowReplayTest.PARTIAL, history);
  }

  @Test
  void writeRetired() throws IOException {
    WorkflowExecutionHistory history =
        run(new FakeBatchNode.Log(), 0, RetireInstancesWorkflow.idOf("b-0001"), client ->
            client
                .newWorkflowStub(
                    RetireInstancesWorkflow.class,
                    WorkflowOptions.newBuilder()
                        .setTaskQueue(TaskQueues.CONTROL)
                        .setWorkflowId(RetireInstancesWorkflow.idOf("b-0001"))
                        .build())
                .retireAll(new RetireInstancesRequest(
                    IDS.stream().map(id -> new RetireRequest(id, NODE, "scale-in")).toList())));

    assertThat(history.getLastEvent().getEventType()).isEqualTo(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED);
    write(ProvisionInstancesWorkflowReplayTest.RETIRED, history);
  }

  private static WorkflowExecutionHistory run(FakeBatchNode.Log log, int slots, String workflowId,
      Consumer<WorkflowClient> body) {
    TestEnvironmentOptions options =
        TestEnvironmentOptions.newBuilder()
            .setWorkflowClientOptions(WorkflowClientOptions.newBuilder().setIdentity("history-generator").build())
            .setInitialTime(CLOCK)
            .build();
    try (TestWorkflowEnvironment testEnv = TestWorkflowEnvironment.newInstance(options)) {
      Worker control = testEnv.newWorker(TaskQueues.CONTROL);
      control.registerWorkflowImplementationTypes(ProvisionInstancesWorkflowImpl.class, RetireInstancesWorkflowImpl.class);
      control.registerActivitiesImplementations(
          new FakeBatchNode.Slots(log, slots, NODE), new ColdStartHistoryGeneratorTest.CannedTemplates());
      FakeBatchNode node = new FakeBatchNode(NODE, log);
      testEnv.newWorker(NodeTaskQueues.of(NODE))
          .registerActivitiesImplementations(node.instances(), node.code(), node.routes());
      testEnv.start();
      WorkflowClient client = testEnv.getWorkflowClient();
      body.accept(client);
      return client.fetchHistory(workflowId);
    }
  }

  private static void write(String resource, WorkflowExecutionHistory history) throws IOException {
    Path file = Path.of("src/test/resources").resolve(resource);
    Files.createDirectories(file.getParent());
    Files.writeString(file, history.toJson(true) + "\n", StandardCharsets.UTF_8);
  }
}

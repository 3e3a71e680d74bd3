package dev.faaster.workflows.coldstart;

import static org.assertj.core.api.Assertions.assertThat;

import dev.faaster.workflows.NodeTaskQueues;
import dev.faaster.workflows.TaskQueues;
import dev.faaster.workflows.code.CodeActivities;
import dev.faaster.workflows.code.CodeOnNode;
import dev.faaster.workflows.instance.GuestCode;
import dev.faaster.workflows.instance.InstanceActivities;
import dev.faaster.workflows.instance.InstanceHandle;
import dev.faaster.workflows.instance.LoadedCode;
import dev.faaster.workflows.route.RouteActivities;
import dev.faaster.workflows.schedule.SlotActivities;
import dev.faaster.workflows.schedule.SlotGrant;
import io.temporal.api.enums.v1.EventType;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.client.WorkflowFailedException;
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
 * Writes the histories {@link ColdStartWorkflowReplayTest} replays. Skipped in normal builds.
 *
 * <p>Regenerate only when a change to {@link ColdStartWorkflowImpl} or {@link
 * RetireInstanceWorkflowImpl} is meant to be incompatible with running instances' workflows (and
 * ships behind a new workflow type or {@code Workflow.getVersion}), or after flipping {@link
 * ColdStartWorkflowImpl#CONTROL_STEPS_LOCAL}. From the repository root:
 *
 * <pre>
 * mvn -pl workflows test -Dtest=ColdStartHistoryGeneratorTest -Dfaaster.regenerateHistories=true
 * </pre>
 *
 * then commit {@code workflows/src/test/resources/histories/coldstart-*.json} and {@code
 * retire-*.json}.
 */
@EnabledIfSystemProperty(named = "faaster.regenerateHistories", matches = "true")
class ColdStartHistoryGeneratorTest {

  static final Instant CLOCK = Instant.parse("2025-01-01T00:00:00Z");
  static final String NODE = "node-a";

  static final ColdStartRequest REQUEST =
      new ColdStartRequest(
          "i-0001", "tenant-1", "fn-42", "resize-image", 3, "python3", "app.handler", 200,
          "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", Map.of("STAGE", "test"),
          "{}", StartMode.RESTORE);

  @Test
  void writeRestored() throws IOException {
    WorkflowExecutionHistory history = run(new CannedNode(false), ColdStartWorkflowIds.of(REQUEST.instanceId()), ColdStartHistoryGeneratorTest::startColdStart);

    assertThat(history.getLastEvent().getEventType()).isEqualTo(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED);
    write(ColdStartWorkflowReplayTest.RESTORED, history);
  }

  @Test
  void writeCompensated() throws IOException {
    WorkflowExecutionHistory history = run(new CannedNode(true), ColdStartWorkflowIds.of(REQUEST.instanceId()), ColdStartHistoryGeneratorTest::startColdStart);

    assertThat(history.getLastEvent().getEventType()).isEqualTo(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED);
    write(ColdStartWorkflowReplayTest.COMPENSATED, history);
  }

  @Test
  void writePlacedRestored() throws IOException {
    WorkflowExecutionHistory history =
        run(new CannedNode(false), ColdStartWorkflowIds.of(REQUEST.instanceId()), ColdStartHistoryGeneratorTest::startPlaced);

    assertThat(history.getLastEvent().getEventType()).isEqualTo(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED);
    write(ColdStartWorkflowReplayTest.PLACED_RESTORED, history);
  }

  @Test
  void writePlacedCompensated() throws IOException {
    WorkflowExecutionHistory history =
        run(new CannedNode(true), ColdStartWorkflowIds.of(REQUEST.instanceId()), ColdStartHistoryGeneratorTest::startPlaced);

    assertThat(history.getLastEvent().getEventType()).isEqualTo(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED);
    write(ColdStartWorkflowReplayTest.PLACED_COMPENSATED, history);
  }

  @Test
  void writeRetired() throws IOException {
    WorkflowExecutionHistory history =
        run(
            new CannedNode(false),
            ColdStartWorkflowIds.retireOf(REQUEST.instanceId()),
            client ->
                client
                    .newWorkflowStub(
                        RetireInstanceWorkflow.class,
                        WorkflowOptions.newBuilder()
                            .setTaskQueue(TaskQueues.CONTROL)
                            .setWorkflowId(ColdStartWorkflowIds.retireOf(REQUEST.instanceId()))
                            .build())
                    .retire(new RetireRequest(REQUEST.instanceId(), NODE, "idle")));

    assertThat(history.getLastEvent().getEventType()).isEqualTo(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED);
    write(ColdStartWorkflowReplayTest.RETIRED, history);
  }

  private static void startColdStart(WorkflowClient client) {
    client
        .newWorkflowStub(
            ColdStartWorkflow.class,
            WorkflowOptions.newBuilder()
                .setTaskQueue(TaskQueues.CONTROL)
                .setWorkflowId(ColdStartWorkflowIds.of(REQUEST.instanceId()))
                .build())
        .start(REQUEST);
  }

  private static void startPlaced(WorkflowClient client) {
    client
        .newWorkflowStub(
            ColdStartWorkflow.class,
            WorkflowOptions.newBuilder()
                .setTaskQueue(NodeTaskQueues.of(NODE))
                .setWorkflowId(ColdStartWorkflowIds.of(REQUEST.instanceId()))
                .build())
        .start(REQUEST.placedOn(new NodePlacement(new SlotGrant("slot-256-1", NODE, 256), 2)));
  }

  /** Runs one workflow against the canned activities and returns its history. */
  private static WorkflowExecutionHistory run(CannedNode node, String workflowId, Consumer<WorkflowClient> body) {
    TestEnvironmentOptions options =
        TestEnvironmentOptions.newBuilder()
            .setWorkflowClientOptions(WorkflowClientOptions.newBuilder().setIdentity("history-generator").build())
            .setInitialTime(CLOCK)
            .build();
    try (TestWorkflowEnvironment testEnv = TestWorkflowEnvironment.newInstance(options)) {
      Worker control = testEnv.newWorker(TaskQueues.CONTROL);
      control.registerWorkflowImplementationTypes(ColdStartWorkflowImpl.class, RetireInstanceWorkflowImpl.class);
      control.registerActivitiesImplementations(new CannedSlots(), new CannedTemplates());
      Worker onNode = testEnv.newWorker(NodeTaskQueues.of(NODE));
      onNode.registerWorkflowImplementationTypes(ColdStartWorkflowImpl.class);
      onNode.registerActivitiesImplementations(node, node.code(), node.routes(), new CannedTemplates());
      testEnv.start();
      WorkflowClient client = testEnv.getWorkflowClient();
      try {
        body.accept(client);
      } catch (WorkflowFailedException expectedForTheCompensatedPath) {
        // The history is what we want; the last event says how it ended.
      }
      return client.fetchHistory(workflowId);
    }
  }

  private static void write(String resource, WorkflowExecutionHistory history) throws IOException {
    Path file = Path.of("src/test/resources").resolve(resource);
    Files.createDirectories(file.getParent());
    Files.writeString(file, history.toJson(true) + "\n", StandardCharsets.UTF_8);
  }

  static final class CannedSlots implements SlotActivities {
    @Override
    public SlotGrant reserve(String instanceId, int memoryMb) {
      return new SlotGrant("slot-256-1", NODE, 256);
    }

    @Override
    public void release(String instanceId) {}
  }

  static final class CannedTemplates implements TemplateLookupActivities {
    @Override
    public String currentTemplate(String nodeId, String runtime) {
      return "tpl-" + runtime;
    }
  }

  /** Canned node; {@code refuseCode} makes the guest refuse the package so every undo runs. */
  static final class CannedNode implements InstanceActivities {
    private final boolean refuseCode;

    CannedNode(boolean refuseCode) {
      this.refuseCode = refuseCode;
    }

    @Override
    public InstanceHandle createFromTemplate(String instanceId, String templateId) {
      return new InstanceHandle(
          instanceId, NODE, "faaster-" + instanceId, "uuid-1", "52:54:00:00:00:01", "h-" + instanceId,
          "/run/faaster/agents/" + instanceId + ".sock", 40, true);
    }

    @Override
    public InstanceHandle createByBooting(String instanceId, String templateId) {
      return createFromTemplate(instanceId, templateId);
    }

    @Override
    public LoadedCode loadCode(String instanceId, GuestCode code) {
      if (refuseCode) {
        throw ApplicationFailure.newNonRetryableFailure("no module named app", ColdStartFailureTypes.CODE_LOAD_FAILED);
      }
      return new LoadedCode(3, 12_288, 30);
    }

    @Override
    public void destroy(String instanceId) {}

    @Override
    public List<String> list() {
      return List.of();
    }

    CodeActivities code() {
      return new CodeActivities() {
        @Override
        public CodeOnNode ensureCodeOnNode(String instanceId, String tenantId, String sha256) {
          return new CodeOnNode("/var/cache/faaster/l1/" + sha256, 4_096, "l1", 1);
        }

        @Override
        public void releaseCode(String instanceId) {}
      };
    }

    RouteActivities routes() {
      return new RouteActivities() {
        @Override
        public int attach(String instanceId, String tenantId, String vpcConfig) {
          return 0;
        }

        @Override
        public void detach(String instanceId) {}
      };
    }
  }
}

package dev.faaster.workflows.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.faaster.workflows.TaskQueues;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Writes the histories {@link DeployFunctionWorkflowReplayTest} replays. Skipped in normal builds.
 *
 * <p>Regenerate only when a change to {@link DeployFunctionWorkflowImpl} is meant to be
 * incompatible with running deploys (and is shipped behind a new workflow type or {@code
 * Workflow.getVersion}); otherwise a failing replay test is the point. From the repository root:
 *
 * <pre>
 * mvn -pl workflows test -Dtest=DeployHistoryGeneratorTest -Dfaaster.regenerateHistories=true
 * </pre>
 *
 * then commit {@code workflows/src/test/resources/histories/*.json}. The clock and identity are
 * fixed so an unchanged workflow produces the same events; run ids and activity ids still differ.
 */
@EnabledIfSystemProperty(named = "faaster.regenerateHistories", matches = "true")
class DeployHistoryGeneratorTest {

  static final Path HISTORIES = Path.of("src/test/resources/histories");
  static final Instant CLOCK = Instant.parse("2025-01-01T00:00:00Z");

  static final DeployRequest REQUEST =
      new DeployRequest(
          "dep-0003",
          "tenant-1",
          "fn-42",
          "resize-image",
          3,
          "staging/tenant-1/fn-42/latest.zip",
          "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
          4_096L);

  @Test
  void writeHappyPath() throws IOException {
    WorkflowExecutionHistory history = run(new CannedActivities(false), REQUEST);

    assertThat(history.getLastEvent().getEventType()).isEqualTo(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED);
    write("deploy-happy-path.json", history);
  }

  @Test
  void writeCompensated() throws IOException {
    WorkflowExecutionHistory history = run(new CannedActivities(true), REQUEST);

    assertThat(history.getLastEvent().getEventType()).isEqualTo(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED);
    write("deploy-compensated.json", history);
  }

  private static WorkflowExecutionHistory run(DeployActivities activities, DeployRequest request) {
    TestEnvironmentOptions options =
        TestEnvironmentOptions.newBuilder()
            .setWorkflowClientOptions(WorkflowClientOptions.newBuilder().setIdentity("history-generator").build())
            .setInitialTime(CLOCK)
            .build();
    try (TestWorkflowEnvironment testEnv = TestWorkflowEnvironment.newInstance(options)) {
      Worker worker = testEnv.newWorker(TaskQueues.CONTROL);
      worker.registerWorkflowImplementationTypes(DeployFunctionWorkflowImpl.class);
      worker.registerActivitiesImplementations(activities);
      testEnv.start();
      WorkflowClient client = testEnv.getWorkflowClient();
      String workflowId = DeployWorkflowIds.of(request.tenantId(), request.functionId(), request.version());
      DeployFunctionWorkflow workflow =
          client.newWorkflowStub(
              DeployFunctionWorkflow.class,
              WorkflowOptions.newBuilder().setTaskQueue(TaskQueues.CONTROL).setWorkflowId(workflowId).build());
      try {
        workflow.deploy(request);
      } catch (WorkflowFailedException expectedForTheCompensatedPath) {
        // The history is what we want; the last event says how it ended.
      }
      return client.fetchHistory(workflowId);
    }
  }

  private static void write(String name, WorkflowExecutionHistory history) throws IOException {
    Files.createDirectories(HISTORIES);
    Files.writeString(HISTORIES.resolve(name), history.toJson(true) + "\n", StandardCharsets.UTF_8);
  }

  /** Canned answers; {@code conflict} makes recordVersion fail so both compensations run. */
  static final class CannedActivities implements DeployActivities {
    private final boolean conflict;

    CannedActivities(boolean conflict) {
      this.conflict = conflict;
    }

    @Override
    public VerifiedPackage verifyPackage(DeployRequest request) {
      return new VerifiedPackage(request.sha256(), request.sizeBytes(), 3, 12_288L);
    }

    @Override
    public StoredPackage storePackage(DeployRequest request) {
      return new StoredPackage("packages/" + request.sha256() + ".zip", true);
    }

    @Override
    public void recordVersion(DeployRequest request, String packageKey) {
      if (conflict) {
        throw ApplicationFailure.newNonRetryableFailure(
            "version " + request.version() + " is held by dep-0001", DeployFailureTypes.VERSION_CONFLICT);
      }
    }

    @Override
    public boolean warmZoneCache(DeployRequest request, String packageKey) {
      return true;
    }

    @Override
    public void markDeploySucceeded(String deploymentId) {}

    @Override
    public void markDeployFailed(String deploymentId, String reason) {}

    @Override
    public void deletePackageIfUnreferenced(String sha256, String deploymentId) {}

    @Override
    public void removeVersion(String deploymentId) {}
  }
}

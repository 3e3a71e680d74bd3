package dev.faaster.workflows.deploy;

import static dev.faaster.workflows.RecordedHistories.activityTypes;
import static dev.faaster.workflows.RecordedHistories.lastEventType;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.temporal.activity.ActivityOptions;
import io.temporal.api.enums.v1.EventType;
import io.temporal.testing.WorkflowReplayer;
import io.temporal.worker.NonDeterministicException;
import io.temporal.workflow.Workflow;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Replays recorded deploys against the current {@link DeployFunctionWorkflowImpl}: a change that
 * would break deploys already running fails here. Histories are written by {@link
 * DeployHistoryGeneratorTest}.
 */
class DeployFunctionWorkflowReplayTest {

  static final String HAPPY_PATH = "histories/deploy-happy-path.json";
  static final String COMPENSATED = "histories/deploy-compensated.json";

  @Test
  void happyPathReplays() throws Exception {
    assertThat(activityTypes(HAPPY_PATH))
        .containsExactly("VerifyPackage", "StorePackage", "RecordVersion", "WarmZoneCache", "MarkDeploySucceeded");
    assertThat(lastEventType(HAPPY_PATH)).isEqualTo(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED);

    assertThatCode(
            () -> WorkflowReplayer.replayWorkflowExecutionFromResource(HAPPY_PATH, DeployFunctionWorkflowImpl.class))
        .doesNotThrowAnyException();
  }

  @Test
  void compensatedPathReplays() throws Exception {
    assertThat(activityTypes(COMPENSATED))
        .containsExactly(
            "VerifyPackage",
            "StorePackage",
            "RecordVersion",
            "RemoveVersion",
            "DeletePackageIfUnreferenced",
            "MarkDeployFailed");
    assertThat(lastEventType(COMPENSATED)).isEqualTo(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED);

    assertThatCode(
            () -> WorkflowReplayer.replayWorkflowExecutionFromResource(COMPENSATED, DeployFunctionWorkflowImpl.class))
        .doesNotThrowAnyException();
  }

  @Test
  void replayRejectsAWorkflowThatSkipsVerification() {
    Throwable thrown =
        catchThrowable(() -> WorkflowReplayer.replayWorkflowExecutionFromResource(HAPPY_PATH, SkipsVerification.class));

    // Replay runs as a query: the SDK reports the NonDeterministicException in the message, not as the cause.
    assertThat(thrown)
        .isInstanceOf(RuntimeException.class)
        .hasMessageContaining(NonDeterministicException.class.getName())
        .hasMessageContaining("StorePackage")
        .hasMessageContaining("VerifyPackage");
  }

  /** The same workflow type with the verification step dropped: replaying old deploys must refuse it. */
  public static class SkipsVerification implements DeployFunctionWorkflow {

    private final DeployActivities steps =
        Workflow.newActivityStub(
            DeployActivities.class,
            ActivityOptions.newBuilder().setStartToCloseTimeout(Duration.ofSeconds(60)).build());

    @Override
    public DeployResult deploy(DeployRequest request) {
      StoredPackage stored = steps.storePackage(request);
      steps.recordVersion(request, stored.key());
      boolean warmed = steps.warmZoneCache(request, stored.key());
      steps.markDeploySucceeded(request.deploymentId());
      return new DeployResult(
          request.deploymentId(), request.version(), stored.key(), request.sha256(), request.sizeBytes(), warmed);
    }
  }
}

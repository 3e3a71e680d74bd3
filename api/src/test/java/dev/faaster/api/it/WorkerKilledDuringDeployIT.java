package dev.faaster.api.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.faaster.api.functions.CodeView;
import dev.faaster.api.functions.CreateFunctionCommand;
import dev.faaster.api.versions.DeploymentView;
import dev.faaster.registry.FunctionVersion;
import dev.faaster.registry.FunctionVersionRepository;
import io.temporal.api.enums.v1.EventType;
import io.temporal.api.enums.v1.PendingActivityState;
import io.temporal.api.enums.v1.TimeoutType;
import io.temporal.api.history.v1.ActivityTaskStartedEventAttributes;
import io.temporal.api.workflow.v1.PendingActivityInfo;
import io.temporal.client.WorkflowClient;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A worker JVM is SIGKILLed in the middle of a deploy, after the package is stored and while it
 * holds RecordVersion (a fault-injection pause keeps it there). Another worker must finish the
 * deploy once Temporal times the lost attempt out (RecordVersion's start-to-close timeout, 60 s:
 * nothing heartbeats, so that is the first moment the server can know), and the retry must not
 * duplicate what the first attempt might have done: one version row, one stored package.
 *
 * <p>The API runs in this JVM with roles=api; the workers are child JVMs on the same database,
 * object store and Temporal. Takes about 90 s, most of it that timeout.
 */
@ExtendWith(StackRequired.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WorkerKilledDuringDeployIT {

  /** How long the first worker sits in RecordVersion: ample time to see it there and kill it. */
  static final String RECORD_VERSION_PAUSE = "20s";
  /** RecordVersion's start-to-close timeout (DeployFunctionWorkflowImpl) plus a worker start and slack. */
  static final Duration RECOVERY_TIMEOUT = Duration.ofSeconds(180);

  private Platform platform;
  private TestTenant tenant;
  private final List<WorkerProcess> workers = new ArrayList<>();

  @BeforeAll
  void startApi() {
    platform = Platform.start(WorkerKilledDuringDeployIT.class, "api");
    tenant = platform.createTenant("it-killed");
  }

  @AfterAll
  void stopEverything() {
    try {
      AssertionError failure = null;
      for (WorkerProcess worker : workers) {
        try {
          worker.close();
        } catch (AssertionError e) {
          failure = e;
        }
      }
      if (failure != null) {
        throw failure;
      }
    } finally {
      if (platform != null) {
        platform.close();
      }
    }
  }

  @Test
  void deployFinishesOnAnotherWorkerWhenTheFirstIsKilledBeforeRecordingTheVersion() {
    WorkerProcess first = startWorker("worker-1", Map.of("faaster.fault-injection.delay-before-record-version", RECORD_VERSION_PAUSE));
    String name = "survivor";
    byte[] zip = CodePackages.bootstrap("survivor");
    String digest = CodePackages.sha256(zip);
    createFunctionWithCode(name, zip, digest);

    HttpResponse<byte[]> published = platform.post("/v1/functions/" + name + "/versions", tenant.token(), null);

    assertThat(published.statusCode()).as(Platform.show(published)).isEqualTo(202);
    DeploymentView accepted = platform.read(published, DeploymentView.class);
    assertThat(accepted.status()).isEqualTo("PENDING");
    assertThat(published.headers().firstValue("Location")).hasValue(accepted.statusUrl());
    String workflowId = accepted.workflowId();
    WorkflowClient client = platform.workflowClient();

    PendingActivityInfo recording =
        Poll.until(
            "StorePackage to complete and RecordVersion to be running on " + first,
            Duration.ofSeconds(60),
            () -> {
              List<String> completed = DeployHistory.fetch(client, workflowId).completed();
              if (completed.contains("RecordVersion")) {
                throw new AssertionError(
                    "RecordVersion finished before it could be killed: was the fault-injection pause applied?\n"
                        + DeployHistory.fetch(client, workflowId).summary());
              }
              if (!completed.contains("StorePackage")) {
                return Optional.empty();
              }
              return client.newUntypedWorkflowStub(workflowId).describe().getRawDescription().getPendingActivitiesList().stream()
                  .filter(a -> a.getActivityType().getName().equals("RecordVersion"))
                  .filter(a -> a.getState() == PendingActivityState.PENDING_ACTIVITY_STATE_STARTED)
                  .findFirst();
            },
            () -> DeployHistory.fetch(client, workflowId).summary() + "\n" + first.logTail());
    assertThat(recording.getLastWorkerIdentity()).as("who holds RecordVersion").isEqualTo(first.identity());
    assertThat(recording.getAttempt()).isEqualTo(1);

    first.kill();

    assertThat(first.isAlive()).isFalse();
    assertThat(status(accepted)).as("the deployment right after the kill").extracting(DeploymentView::status).isEqualTo("PENDING");
    assertThat(versionRows(workflowId)).as("version rows right after the kill: the kill must come before the record").isEmpty();

    WorkerProcess second = startWorker("worker-2", Map.of());
    DeploymentView finished =
        Poll.until(
            "the deploy to finish on " + second,
            RECOVERY_TIMEOUT,
            () -> Optional.of(status(accepted)).filter(d -> !d.status().equals("PENDING")),
            () -> DeployHistory.fetch(client, workflowId).summary() + "\n" + second.logTail());

    assertThat(finished.status()).as("deployment %s", finished).isEqualTo("SUCCEEDED");
    List<FunctionVersion> rows = versionRows(workflowId);
    assertThat(rows).as("version rows of the function").hasSize(1);
    assertThat(rows.get(0).deploymentId()).isEqualTo(accepted.deploymentId());
    assertThat(rows.get(0).version()).isEqualTo(1);
    assertThat(platform.publishedPackages()).as("objects under %s", Platform.PACKAGES).containsExactly(Platform.PACKAGES + digest + ".zip");
    HttpResponse<byte[]> code = platform.get("/v1/functions/" + name + "/versions/1/code", tenant.token());
    assertThat(code.statusCode()).as(Platform.show(code)).isEqualTo(200);
    assertThat(code.body()).isEqualTo(zip);

    DeployHistory history = DeployHistory.fetch(client, workflowId);
    assertThat(history.scheduled()).as(history.summary()).containsExactlyElementsOf(DeployEndToEndIT.DEPLOY_STEPS);
    assertThat(history.completed()).as(history.summary()).containsExactlyElementsOf(DeployEndToEndIT.DEPLOY_STEPS);
    assertThat(history.last()).hasValue(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED);
    assertThat(history.started("StorePackage")).singleElement().extracting(ActivityTaskStartedEventAttributes::getIdentity).isEqualTo(first.identity());
    ActivityTaskStartedEventAttributes recorded = history.started("RecordVersion").get(0);
    assertThat(history.started("RecordVersion")).as(history.summary()).hasSize(1);
    assertThat(recorded.getAttempt()).as("the attempt of RecordVersion that completed").isGreaterThan(1);
    assertThat(recorded.getIdentity()).as("who completed RecordVersion").isEqualTo(second.identity());
    assertThat(recorded.getLastFailure().getTimeoutFailureInfo().getTimeoutType())
        .as("why the earlier attempt failed: %s", recorded.getLastFailure())
        .isEqualTo(TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE);
  }

  private WorkerProcess startWorker(String name, Map<String, String> systemProperties) {
    WorkerProcess worker = WorkerProcess.start(platform, name, systemProperties);
    workers.add(worker);
    return worker;
  }

  private void createFunctionWithCode(String name, byte[] zip, String digest) {
    HttpResponse<byte[]> created =
        platform.post(
            "/v1/functions", tenant.token(), new CreateFunctionCommand(name, "provided", null, null, null, null, null, null, null));
    assertThat(created.statusCode()).as(Platform.show(created)).isEqualTo(201);
    HttpResponse<byte[]> uploaded = platform.put("/v1/functions/" + name + "/code", tenant.token(), "application/zip", zip);
    assertThat(uploaded.statusCode()).as(Platform.show(uploaded)).isEqualTo(200);
    assertThat(platform.read(uploaded, CodeView.class)).isEqualTo(new CodeView(digest, zip.length));
  }

  /** GETs the deployment's status URL. */
  private DeploymentView status(DeploymentView deployment) {
    HttpResponse<byte[]> response = platform.get(deployment.statusUrl(), tenant.token());
    assertThat(response.statusCode()).as(Platform.show(response)).isEqualTo(200);
    return platform.read(response, DeploymentView.class);
  }

  /** Every version row of the function the deploy workflow {@code deploy/<tenant>/<function>/<n>} is for. */
  private List<FunctionVersion> versionRows(String workflowId) {
    String functionId = workflowId.split("/")[2];
    return platform.bean(FunctionVersionRepository.class).findByFunctionId(functionId);
  }
}

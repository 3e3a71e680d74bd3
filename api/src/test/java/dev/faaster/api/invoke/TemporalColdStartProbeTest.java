package dev.faaster.api.invoke;

import static org.assertj.core.api.Assertions.assertThat;

import dev.faaster.workflows.TaskQueues;
import dev.faaster.workflows.coldstart.ColdStartRequest;
import dev.faaster.workflows.coldstart.ColdStartResult;
import dev.faaster.workflows.coldstart.ColdStartWorkflow;
import dev.faaster.workflows.coldstart.ColdStartWorkflowIds;
import dev.faaster.workflows.coldstart.StartMode;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.failure.ApplicationFailure;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import io.temporal.workflow.Workflow;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The cold start lookup against the in-memory Temporal test server. */
class TemporalColdStartProbeTest {

  /** An instance id starting with "fail" fails, with "slow" runs for an hour, any other completes on node-7. */
  public static class ScriptedColdStart implements ColdStartWorkflow {
    @Override
    public ColdStartResult start(ColdStartRequest request) {
      if (request.instanceId().startsWith("fail")) {
        throw ApplicationFailure.newNonRetryableFailure("no free slot", "NoCapacity");
      }
      if (request.instanceId().startsWith("slow")) {
        Workflow.sleep(Duration.ofHours(1));
      }
      return new ColdStartResult(request.instanceId(), "node-7", "slot-1", "/run/agent.sock", request.mode(), "l1", null);
    }
  }

  TestWorkflowEnvironment env;
  WorkflowClient client;
  TemporalColdStartProbe probe;

  @BeforeEach
  void server() {
    env = TestWorkflowEnvironment.newInstance();
    Worker worker = env.newWorker(TaskQueues.CONTROL);
    worker.registerWorkflowImplementationTypes(ScriptedColdStart.class);
    env.start();
    client = env.getWorkflowClient();
    probe = new TemporalColdStartProbe(client);
  }

  @AfterEach
  void stop() {
    env.close();
  }

  @Test
  void aCompletedColdStartGivesItsNode() {
    String id = finished("ok-" + UUID.randomUUID());

    assertThat(probe.stateOf(id)).isEqualTo(ColdStartState.completed("node-7"));
  }

  @Test
  void aFailedColdStartIsFailed() {
    String id = finished("fail-" + UUID.randomUUID());

    assertThat(probe.stateOf(id)).isEqualTo(ColdStartState.failed());
  }

  @Test
  void aRunningColdStartIsRunning() {
    String id = "slow-" + UUID.randomUUID();
    WorkflowClient.start(stub(id)::start, request(id));

    assertThat(probe.stateOf(id)).isEqualTo(ColdStartState.running());
  }

  @Test
  void aColdStartNeverStartedIsNotFound() {
    assertThat(probe.stateOf("never-" + UUID.randomUUID())).isEqualTo(ColdStartState.notFound());
  }

  private String finished(String id) {
    WorkflowClient.start(stub(id)::start, request(id));
    try {
      client.newUntypedWorkflowStub(ColdStartWorkflowIds.of(id)).getResult(ColdStartResult.class);
    } catch (RuntimeException expected) {
      // a failing cold start
    }
    return id;
  }

  private ColdStartWorkflow stub(String id) {
    return client.newWorkflowStub(
        ColdStartWorkflow.class,
        WorkflowOptions.newBuilder().setWorkflowId(ColdStartWorkflowIds.of(id)).setTaskQueue(TaskQueues.CONTROL).build());
  }

  private static ColdStartRequest request(String id) {
    return new ColdStartRequest(id, "t", "f", "fn", 1, "provided", null, 128, "sha", Map.of(), null, StartMode.RESTORE);
  }
}

package dev.faaster.api.invoke;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.faaster.workflows.SearchAttributeKeys;
import dev.faaster.workflows.TaskQueues;
import dev.faaster.workflows.coldstart.ColdStartFailureTypes;
import dev.faaster.workflows.coldstart.ColdStartRequest;
import dev.faaster.workflows.coldstart.ColdStartResult;
import dev.faaster.workflows.coldstart.ColdStartStages;
import dev.faaster.workflows.coldstart.ColdStartWorkflow;
import dev.faaster.workflows.coldstart.ColdStartWorkflowIds;
import dev.faaster.workflows.coldstart.RetireInstanceWorkflow;
import dev.faaster.workflows.coldstart.RetireRequest;
import dev.faaster.workflows.coldstart.StartMode;
import io.temporal.api.enums.v1.IndexedValueType;
import io.temporal.client.WorkflowClient;
import io.temporal.failure.ApplicationFailure;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import io.temporal.workflow.Workflow;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The Temporal side of the router's interfaces, against the in-memory test server. */
class TemporalStartersTest {

  static final ColdStartStages STAGES = new ColdStartStages(1, 2, 3, 0, 4, 9);
  static final List<RetireRequest> RETIRED = new CopyOnWriteArrayList<>();

  /** Answers at once; an instance id starting with "full" fails as the scheduler does without slots. */
  public static class CannedColdStart implements ColdStartWorkflow {
    @Override
    public ColdStartResult start(ColdStartRequest request) {
      if (request.instanceId().startsWith("full")) {
        throw ApplicationFailure.newNonRetryableFailure("no free 128 MiB slot", ColdStartFailureTypes.NO_CAPACITY);
      }
      return new ColdStartResult(request.instanceId(), "node-1", "slot-1", "/run/agent.sock", request.mode(), "l2", STAGES);
    }
  }

  public static class RecordedRetire implements RetireInstanceWorkflow {
    @Override
    public void retire(RetireRequest request) {
      RETIRED.add(request);
      Workflow.sleep(Duration.ofSeconds(1));
    }
  }

  TestWorkflowEnvironment env;
  WorkflowClient client;
  final InvocationSettings settings =
      new InvocationSettings(1, 100, 1000, Duration.ofMinutes(10), Duration.ofSeconds(30), 6 << 20, true,
          Duration.ofSeconds(10), Duration.ofSeconds(1), Duration.ofSeconds(5));

  @BeforeEach
  void server() {
    RETIRED.clear();
    env = TestWorkflowEnvironment.newInstance();
    env.registerSearchAttribute("FaasterTenant", IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD);
    env.registerSearchAttribute("FaasterFunction", IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD);
    env.registerSearchAttribute("FaasterVersion", IndexedValueType.INDEXED_VALUE_TYPE_INT);
    Worker worker = env.newWorker(TaskQueues.CONTROL);
    worker.registerWorkflowImplementationTypes(CannedColdStart.class, RecordedRetire.class);
    env.start();
    client = env.getWorkflowClient();
  }

  @AfterEach
  void stop() {
    env.close();
  }

  @Test
  void coldStartCompletesWithTheWorkflowsResultUnderTheInstancesWorkflowId() throws Exception {
    ColdStarter starter = new TemporalColdStarter(client, settings);

    ColdStartResult result =
        starter.start(request("i-1"), "acme").toCompletableFuture().get(30, TimeUnit.SECONDS);

    assertThat(result.instanceId()).isEqualTo("i-1");
    assertThat(result.stages()).isEqualTo(STAGES);
    assertThat(result.mode()).isEqualTo(StartMode.RESTORE);
    var described = client.newUntypedWorkflowStub(ColdStartWorkflowIds.of("i-1")).describe();
    assertThat(described.getTypedSearchAttributes().get(SearchAttributeKeys.TENANT)).isEqualTo("acme");
    assertThat(described.getTypedSearchAttributes().get(SearchAttributeKeys.FUNCTION)).isEqualTo("fn");
    assertThat(described.getTypedSearchAttributes().get(SearchAttributeKeys.VERSION)).isEqualTo(3L);
  }

  @Test
  void coldStartFailureCarriesTheWorkflowsFailureType() {
    ColdStarter starter = new TemporalColdStarter(client, settings);

    var started = starter.start(request("full-1"), "acme").toCompletableFuture();

    assertThatThrownBy(() -> started.get(30, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .cause()
        .isInstanceOf(ColdStartFailedException.class)
        .satisfies(e -> assertThat(((ColdStartFailedException) e).type()).isEqualTo(ColdStartFailureTypes.NO_CAPACITY))
        .hasMessageContaining("no free 128 MiB slot");
  }

  @Test
  void retiringAnInstanceAgainJoinsOrSkipsItsOneRetirement() throws Exception {
    TemporalInstanceRetirer retirer = new TemporalInstanceRetirer(client);
    String workflowId = ColdStartWorkflowIds.retireOf("i-9");

    retirer.start(new RetireRequest("i-9", "node-1", "timeout"));
    retirer.start(new RetireRequest("i-9", "node-1", "crashed"));
    client.newUntypedWorkflowStub(workflowId).getResult(30, TimeUnit.SECONDS, Void.class);
    retirer.start(new RetireRequest("i-9", "node-1", "idle"));
    client.newUntypedWorkflowStub(workflowId).getResult(30, TimeUnit.SECONDS, Void.class);

    assertThat(RETIRED).containsExactly(new RetireRequest("i-9", "node-1", "timeout"));
    retirer.close();
  }

  private static ColdStartRequest request(String instanceId) {
    return new ColdStartRequest(
        instanceId, "tenant-1", "function-1", "fn", 3, "provided", null, 128, "ab".repeat(32), Map.of(), "{}", StartMode.RESTORE);
  }
}

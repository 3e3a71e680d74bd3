package dev.faaster.api.invoke;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.faaster.workflows.NodeTaskQueues;
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
import dev.faaster.workflows.schedule.SlotActivities;
import dev.faaster.workflows.schedule.SlotGrant;
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

  /** What the placed cold starts were given, by instance id. */
  static final Map<String, ColdStartRequest> PLACED = new java.util.concurrent.ConcurrentHashMap<>();

  /** The node's worker: records the request and answers from the node it runs on. */
  public static class NodeColdStart implements ColdStartWorkflow {
    @Override
    public ColdStartResult start(ColdStartRequest request) {
      PLACED.put(request.instanceId(), request);
      return new ColdStartResult(request.instanceId(), request.placement().slot().nodeId(), request.placement().slot().slotId(),
          "/run/agent.sock", request.mode(), "l1", STAGES);
    }
  }

  /** The scheduler of a process with the worker role: node-1's slots, or none left. */
  static final class ScriptedSlots implements SlotActivities {
    final List<String> released = new CopyOnWriteArrayList<>();
    volatile boolean full;

    @Override
    public SlotGrant reserve(String instanceId, int memoryMb) {
      if (full) {
        throw ApplicationFailure.newNonRetryableFailure("no free 128 MiB slot on any live node", ColdStartFailureTypes.NO_CAPACITY);
      }
      return new SlotGrant("slot-" + instanceId, "node-1", 128);
    }

    @Override
    public void release(String instanceId) {
      released.add(instanceId);
    }
  }

  public static class RecordedRetire implements RetireInstanceWorkflow {
    @Override
    public void retire(RetireRequest request) {
      if (!Workflow.isReplaying()) { // a replay (an evicted or timed-out task) runs this line again
        RETIRED.add(request);
      }
      Workflow.sleep(Duration.ofSeconds(1));
    }
  }

  TestWorkflowEnvironment env;
  WorkflowClient client;
  final InvocationSettings settings =
      new InvocationSettings(1, 100, 1000, Duration.ofMinutes(10), Duration.ofSeconds(30), 6 << 20, true, true,
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
    env.newWorker(NodeTaskQueues.of("node-1")).registerWorkflowImplementationTypes(NodeColdStart.class);
    PLACED.clear();
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
  void withTheSchedulerInProcessTheSlotIsReservedFirstAndTheColdStartRunsOnItsNodesQueue() throws Exception {
    ScriptedSlots slots = new ScriptedSlots();
    ColdStarter starter = new TemporalColdStarter(client, settings, slots);

    ColdStartResult result = starter.start(request("i-2"), "acme").toCompletableFuture().get(30, TimeUnit.SECONDS);

    assertThat(result.nodeId()).isEqualTo("node-1");
    assertThat(PLACED.get("i-2").placement().slot()).isEqualTo(new SlotGrant("slot-i-2", "node-1", 128));
    assertThat(PLACED.get("i-2").placement().scheduleMillis()).isNotNegative();
    var described = client.newUntypedWorkflowStub(ColdStartWorkflowIds.of("i-2")).describe();
    assertThat(described.getTaskQueue()).isEqualTo(NodeTaskQueues.of("node-1"));
    assertThat(slots.released).isEmpty();
  }

  @Test
  void aSchedulerRefusalFailsWithItsTypeAndStartsNoWorkflow() {
    ScriptedSlots slots = new ScriptedSlots();
    slots.full = true;
    ColdStarter starter = new TemporalColdStarter(client, settings, slots);

    var started = starter.start(request("i-3"), "acme").toCompletableFuture();

    assertThatThrownBy(() -> started.get(30, TimeUnit.SECONDS))
        .cause()
        .isInstanceOf(ColdStartFailedException.class)
        .satisfies(e -> assertThat(((ColdStartFailedException) e).type()).isEqualTo(ColdStartFailureTypes.NO_CAPACITY))
        .hasMessageContaining("no free 128 MiB slot");
    assertThat(PLACED).isEmpty();
    assertThatThrownBy(() -> client.newUntypedWorkflowStub(ColdStartWorkflowIds.of("i-3")).describe())
        .isInstanceOf(io.temporal.client.WorkflowNotFoundException.class);
  }

  @Test
  void aPlacedStartThatFailsWhereNobodyCanSayWhetherItStartedKeepsTheSlot() {
    // A workflow that did start owns the slot and frees it itself: freeing it here too could hand
    // it to a second instance. Unreachable service: the start fails and so does the question.
    TestWorkflowEnvironment gone = TestWorkflowEnvironment.newInstance();
    WorkflowClient unreachable = gone.getWorkflowClient();
    gone.close();
    ScriptedSlots slots = new ScriptedSlots();
    ColdStarter starter = new TemporalColdStarter(unreachable, settings, slots);

    var started = starter.start(request("i-5"), "acme").toCompletableFuture();

    assertThatThrownBy(() -> started.get(60, TimeUnit.SECONDS))
        .cause()
        .isInstanceOf(ColdStartFailedException.class)
        .hasMessageContaining("did not accept the cold start")
        .satisfies(e -> assertThat(((ColdStartFailedException) e).unsettled()).as("left to the orphan reconciler").isTrue());
    assertThat(slots.released).isEmpty();
  }

  @Test
  void placementSwitchedOffStartsOnTheControlQueue() throws Exception {
    ScriptedSlots slots = new ScriptedSlots();
    TemporalColdStarter starter = new TemporalColdStarter(client, settings, slots);
    starter.placeOnNode(false);

    ColdStartResult result = starter.start(request("i-4"), "acme").toCompletableFuture().get(30, TimeUnit.SECONDS);

    assertThat(result.nodeId()).isEqualTo("node-1"); // CannedColdStart's
    assertThat(PLACED).isEmpty();
    assertThat(client.newUntypedWorkflowStub(ColdStartWorkflowIds.of("i-4")).describe().getTaskQueue())
        .isEqualTo(TaskQueues.CONTROL);
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

  @Test
  void aShutdownWaitsForTheRetirementsItStarted() {
    TemporalInstanceRetirer retirer = new TemporalInstanceRetirer(client);
    retirer.retire("i-10", "node-1", "shutdown");
    retirer.retire("i-11", "node-1", "shutdown");

    assertThat(retirer.awaitRetirements(Duration.ofSeconds(30))).isTrue();

    assertThat(RETIRED).extracting(RetireRequest::instanceId).containsExactlyInAnyOrder("i-10", "i-11");
    retirer.close();
  }

  private static ColdStartRequest request(String instanceId) {
    return new ColdStartRequest(
        instanceId, "tenant-1", "function-1", "fn", 3, "provided", null, 128, "ab".repeat(32), Map.of(), "{}", StartMode.RESTORE);
  }
}

package dev.faaster.workflows.coldstart;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.faaster.workflows.NodeTaskQueues;
import dev.faaster.workflows.TaskQueues;
import dev.faaster.workflows.code.CodeFailureTypes;
import dev.faaster.workflows.instance.InstanceFailureTypes;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import io.temporal.failure.ApplicationFailure;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ProvisionInstancesWorkflowTest {

  static final String NODE_A = "node-a";
  static final String NODE_B = "node-b";
  static final String SHA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
  static final ColdStartRequest TEMPLATE =
      new ColdStartRequest(
          null, "tenant-1", "fn-42", "resize-image", 3, "python3", "app.handler", 200, SHA,
          Map.of("STAGE", "test"), "{}", StartMode.RESTORE);

  /** The three undos on the node, then the slots: the cold start's saga order. */
  static final List<String> UNDO_ORDER = List.of("destroyAll", "detachAll", "releaseCodeOfAll", "releaseSlots");

  private final FakeBatchNode.Log log = new FakeBatchNode.Log();
  private final Set<String> nodesWithoutTemplate = new java.util.concurrent.CopyOnWriteArraySet<>();
  private TestWorkflowEnvironment env;
  private FakeBatchNode.Slots slots;

  @AfterEach
  void tearDown() {
    if (env != null) {
      env.close();
    }
  }

  /** A control plane with {@code free} slots over {@code nodes}, and those nodes' workers. */
  private void platform(int free, String... nodes) {
    slots = new FakeBatchNode.Slots(log, free, nodes);
    env = TestWorkflowEnvironment.newInstance();
    Worker control = env.newWorker(TaskQueues.CONTROL);
    control.registerWorkflowImplementationTypes(ProvisionInstancesWorkflowImpl.class);
    TemplateLookupActivities templates = new TemplateLookupActivities() {
      @Override
      public String currentTemplate(String nodeId, String runtime) {
        if (nodesWithoutTemplate.contains(nodeId)) {
          throw ApplicationFailure.newFailure("no READY " + runtime + " template on " + nodeId,
              InstanceFailureTypes.TEMPLATE_NOT_ON_NODE);
        }
        return "tpl-" + runtime;
      }
    };
    control.registerActivitiesImplementations(slots, templates);
    for (String node : nodes) {
      FakeBatchNode fake = new FakeBatchNode(node, log);
      env.newWorker(NodeTaskQueues.of(node)).registerActivitiesImplementations(fake.instances(), fake.code(), fake.routes());
    }
    env.start();
  }

  private ProvisionResult provision(List<String> ids) {
    WorkflowClient client = env.getWorkflowClient();
    ProvisionInstancesWorkflow workflow =
        client.newWorkflowStub(
            ProvisionInstancesWorkflow.class,
            WorkflowOptions.newBuilder()
                .setTaskQueue(TaskQueues.CONTROL)
                .setWorkflowId(ProvisionInstancesWorkflow.idOf("batch-1"))
                .build());
    return workflow.provision(new ProvisionRequest(TEMPLATE, ids));
  }

  private static List<String> ids(int count) {
    return IntStream.rangeClosed(1, count).mapToObj(i -> "i-" + i).toList();
  }

  private static ProvisionedInstance outcome(ProvisionResult result, String id) {
    return result.instances().stream().filter(i -> i.instanceId().equals(id)).findFirst().orElseThrow();
  }

  @Test
  void allReadyWithOneCallPerStepAndNothingUndone() {
    platform(10, NODE_A);

    ProvisionResult result = provision(ids(5));

    assertThat(result.ready()).isEqualTo(5);
    assertThat(result.failed()).isZero();
    assertThat(result.instances()).extracting(ProvisionedInstance::instanceId).containsExactlyElementsOf(ids(5));
    assertThat(result.instances()).allSatisfy(i -> {
      assertThat(i.ready()).isTrue();
      assertThat(i.nodeId()).isEqualTo(NODE_A);
      assertThat(i.agentSocket()).isEqualTo("/run/faaster/agents/" + i.instanceId() + ".sock");
      assertThat(i.codeSource()).isEqualTo("l1");
      assertThat(i.undone()).isFalse();
    });
    // One call per step for the whole batch: the point of batching.
    assertThat(log.steps())
        .containsExactlyInAnyOrder("reserveSlots", "createAllFromTemplate", "ensureCodeOnNodeForAll", "attachAll",
            "loadCodeIntoAll");
    assertThat(log.steps().get(0)).isEqualTo("reserveSlots");
    assertThat(log.steps().get(4)).isEqualTo("loadCodeIntoAll");
    assertThat(log.ids("loadCodeIntoAll")).containsExactlyElementsOf(ids(5));
    ProvisionStages stages = result.stages();
    assertThat(stages.undoMillis()).isZero();
    long concurrent = Math.max(stages.vmMillis(), Math.max(stages.codeMillis(), stages.networkMillis()));
    assertThat(stages.totalMillis()).isGreaterThanOrEqualTo(stages.scheduleMillis() + concurrent + stages.loadMillis());
    assertThat(slots.held()).isEqualTo(5);
  }

  @Test
  void partialFailureUndoesExactlyTheFailedInstancesInSagaOrder() {
    platform(10, NODE_A);
    log.failAlways("createAllFromTemplate", "i-2",
        ApplicationFailure.newNonRetryableFailure("template files gone", InstanceFailureTypes.TEMPLATE_NOT_ON_NODE));
    log.failAlways("ensureCodeOnNodeForAll", "i-3",
        ApplicationFailure.newFailure("no tier has it", CodeFailureTypes.CODE_UNAVAILABLE));
    log.failAlways("loadCodeIntoAll", "i-5",
        ApplicationFailure.newNonRetryableFailure("no module named app", ColdStartFailureTypes.CODE_LOAD_FAILED));

    ProvisionResult result = provision(ids(6));

    assertThat(result.ready()).isEqualTo(3);
    assertThat(result.failed()).isEqualTo(3);
    assertThat(outcome(result, "i-2").failedStep()).isEqualTo(ProvisionStep.VM);
    assertThat(outcome(result, "i-2").failureType()).isEqualTo(InstanceFailureTypes.TEMPLATE_NOT_ON_NODE);
    assertThat(outcome(result, "i-3").failedStep()).isEqualTo(ProvisionStep.CODE);
    assertThat(outcome(result, "i-3").failureType()).isEqualTo(CodeFailureTypes.CODE_UNAVAILABLE);
    assertThat(outcome(result, "i-5").failedStep()).isEqualTo(ProvisionStep.LOAD);
    assertThat(outcome(result, "i-5").failure()).isEqualTo("no module named app");
    for (String failed : List.of("i-2", "i-3", "i-5")) {
      assertThat(outcome(result, failed).undone()).isTrue();
      assertThat(outcome(result, failed).agentSocket()).isNull();
    }
    for (String ready : List.of("i-1", "i-4", "i-6")) {
      assertThat(outcome(result, ready).ready()).isTrue();
    }
    // Permanent failures are not asked again; only instances with all three steps are loaded.
    assertThat(log.calls("createAllFromTemplate")).hasSize(1);
    assertThat(log.calls("ensureCodeOnNodeForAll")).hasSize(1);
    assertThat(log.ids("loadCodeIntoAll")).containsExactly("i-1", "i-4", "i-5", "i-6");
    // Exactly the failed ones are undone, VM first, slot last.
    for (String undo : UNDO_ORDER) {
      assertThat(log.ids(undo)).as(undo).containsExactly("i-2", "i-3", "i-5");
    }
    List<String> steps = log.steps();
    assertThat(steps.subList(steps.size() - 4, steps.size())).containsExactlyElementsOf(UNDO_ORDER);
    assertThat(slots.held()).isEqualTo(3);
  }

  @Test
  void noCapacityForPartOfTheBatchProvisionsTheRestAndTouchesNoNodeForTheOthers() {
    platform(3, NODE_A);

    ProvisionResult result = provision(ids(5));

    assertThat(result.ready()).isEqualTo(3);
    assertThat(result.failed()).isEqualTo(2);
    for (String id : List.of("i-4", "i-5")) {
      ProvisionedInstance instance = outcome(result, id);
      assertThat(instance.failedStep()).isEqualTo(ProvisionStep.SCHEDULE);
      assertThat(instance.failureType()).isEqualTo(ColdStartFailureTypes.NO_CAPACITY);
      assertThat(instance.nodeId()).isNull();
      assertThat(instance.undone()).isTrue();
    }
    // No capacity is permanent: one reserve call, no node step for the two, no node undo at all.
    assertThat(log.calls("reserveSlots")).hasSize(1);
    assertThat(log.ids("createAllFromTemplate")).containsExactly("i-1", "i-2", "i-3");
    assertThat(log.ids("ensureCodeOnNodeForAll")).containsExactly("i-1", "i-2", "i-3");
    assertThat(log.ids("attachAll")).containsExactly("i-1", "i-2", "i-3");
    assertThat(log.calls("destroyAll")).isEmpty();
    // Their release is a no-op, but covers a reserve whose answer was lost.
    assertThat(log.ids("releaseSlots")).containsExactly("i-4", "i-5");
    assertThat(slots.held()).isEqualTo(3);
  }

  @Test
  void aTransientFailureIsAskedAgainForThatInstanceAloneWithoutUndoing() {
    platform(10, NODE_A);
    log.failTimes("createAllFromTemplate", "i-3", 2, new RuntimeException("libvirt connection reset"));

    ProvisionResult result = provision(ids(4));

    assertThat(result.ready()).isEqualTo(4);
    assertThat(log.calls("createAllFromTemplate"))
        .extracting(FakeBatchNode.Call::ids)
        .containsExactly(ids(4), List.of("i-3"), List.of("i-3"));
    assertThat(log.calls("destroyAll")).isEmpty();
    assertThat(log.calls("releaseSlots")).isEmpty();
  }

  @Test
  void aTransientFailureThatOutlastsTheRetriesFailsThatInstanceOnly() {
    platform(10, NODE_A);
    log.failAlways("attachAll", "i-2", new RuntimeException("proxy unreachable"));

    ProvisionResult result = provision(ids(3));

    assertThat(result.ready()).isEqualTo(2);
    ProvisionedInstance failed = outcome(result, "i-2");
    assertThat(failed.failedStep()).isEqualTo(ProvisionStep.NETWORK);
    assertThat(failed.failure()).isEqualTo("proxy unreachable");
    assertThat(log.calls("attachAll")).hasSize(ColdStartWorkflowImpl.STEP_RETRY.getMaximumAttempts());
    assertThat(log.ids("destroyAll")).containsExactly("i-2");
    assertThat(log.ids("releaseSlots")).containsExactly("i-2");
  }

  @Test
  void eachNodeGetsItsOwnInstancesOnItsOwnQueue() {
    platform(10, NODE_A, NODE_B);

    ProvisionResult result = provision(ids(6));

    assertThat(result.ready()).isEqualTo(6);
    assertThat(log.calls("createAllFromTemplate"))
        .extracting(FakeBatchNode.Call::node, FakeBatchNode.Call::ids)
        .containsExactlyInAnyOrder(
            org.assertj.core.groups.Tuple.tuple(NODE_A, List.of("i-1", "i-3", "i-5")),
            org.assertj.core.groups.Tuple.tuple(NODE_B, List.of("i-2", "i-4", "i-6")));
    assertThat(outcome(result, "i-2").nodeId()).isEqualTo(NODE_B);
  }

  @Test
  void aNodeWithoutTheTemplateFailsItsInstancesAndFreesTheirSlotsOnly() {
    platform(10, NODE_A, NODE_B);
    nodesWithoutTemplate.add(NODE_B);

    ProvisionResult result = provision(ids(4));

    assertThat(result.ready()).isEqualTo(2);
    assertThat(outcome(result, "i-2").failedStep()).isEqualTo(ProvisionStep.TEMPLATE);
    assertThat(outcome(result, "i-4").failureType()).isEqualTo(InstanceFailureTypes.TEMPLATE_NOT_ON_NODE);
    // Nothing was made on node-b: no step and no undo there.
    assertThat(log.calls()).filteredOn(c -> NODE_B.equals(c.node())).isEmpty();
    assertThat(log.ids("releaseSlots")).containsExactly("i-2", "i-4");
  }

  @Test
  void anUndoThatFailsForGoodKeepsTheSlotsForTheReconciler() {
    platform(10, NODE_A);
    log.failAlways("loadCodeIntoAll", "i-1",
        ApplicationFailure.newNonRetryableFailure("no module named app", ColdStartFailureTypes.CODE_LOAD_FAILED));
    log.failAlways("destroyAll", "i-1",
        ApplicationFailure.newNonRetryableFailure("domain stuck", InstanceFailureTypes.INSTANCE_GONE));

    ProvisionResult result = provision(ids(2));

    assertThat(result.ready()).isEqualTo(1);
    assertThat(outcome(result, "i-1").undone()).isFalse();
    assertThat(log.calls("detachAll")).isEmpty();
    assertThat(log.calls("releaseSlots")).isEmpty();
    assertThat(slots.held()).isEqualTo(2);
  }

  @Test
  void aBatchOverTheLimitOrWithAnIdTwiceIsRefused() {
    platform(10, NODE_A);

    List<String> tooMany = new ArrayList<>(ids(ProvisionInstancesWorkflow.MAX_INSTANCES + 1));
    WorkflowFailedException thrown = catchThrowableOfType(WorkflowFailedException.class, () -> provision(tooMany));
    assertThat(((ApplicationFailure) thrown.getCause()).getType()).isEqualTo(ProvisionInstancesWorkflow.INVALID_REQUEST);

    env.close();
    env = null;
    platform(10, NODE_A);
    thrown = catchThrowableOfType(WorkflowFailedException.class, () -> provision(List.of("i-1", "i-2", "i-1")));
    assertThat(((ApplicationFailure) thrown.getCause()).getType()).isEqualTo(ProvisionInstancesWorkflow.INVALID_REQUEST);
    assertThat(log.calls()).isEmpty();
  }
}

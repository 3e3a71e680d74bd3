package dev.faaster.workflows.coldstart;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.faaster.workflows.NodeTaskQueues;
import dev.faaster.workflows.TaskQueues;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import io.temporal.failure.ApplicationFailure;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class RetireInstancesWorkflowTest {

  static final String NODE_A = "node-a";
  static final String NODE_B = "node-b";

  private final FakeBatchNode.Log log = new FakeBatchNode.Log();
  private TestWorkflowEnvironment env;

  @BeforeEach
  void setUp() {
    env = TestWorkflowEnvironment.newInstance();
    Worker control = env.newWorker(TaskQueues.CONTROL);
    control.registerWorkflowImplementationTypes(RetireInstancesWorkflowImpl.class);
    control.registerActivitiesImplementations(new FakeBatchNode.Slots(log, 0, NODE_A));
    for (String node : List.of(NODE_A, NODE_B)) {
      FakeBatchNode fake = new FakeBatchNode(node, log);
      env.newWorker(NodeTaskQueues.of(node)).registerActivitiesImplementations(fake.instances(), fake.code(), fake.routes());
    }
    env.start();
  }

  @AfterEach
  void tearDown() {
    env.close();
  }

  private void retire(RetireRequest... instances) {
    env.getWorkflowClient()
        .newWorkflowStub(
            RetireInstancesWorkflow.class,
            WorkflowOptions.newBuilder()
                .setTaskQueue(TaskQueues.CONTROL)
                .setWorkflowId(RetireInstancesWorkflow.idOf("batch-1"))
                .build())
        .retireAll(new RetireInstancesRequest(List.of(instances)));
  }

  @Test
  void eachNodeRetiresItsInstancesInOneCallPerStepThenEverySlotGoesInOneCall() {
    retire(
        new RetireRequest("i-1", NODE_A, "idle"),
        new RetireRequest("i-2", NODE_B, "idle"),
        new RetireRequest("i-3", NODE_A, "idle"));

    for (String node : List.of(NODE_A, NODE_B)) {
      List<String> steps = log.calls().stream().filter(c -> node.equals(c.node())).map(FakeBatchNode.Call::step).toList();
      // No traffic first, then the VMs, then the code they read in place.
      assertThat(steps).as(node).containsExactly("detachAll", "destroyAll", "releaseCodeOfAll");
    }
    assertThat(log.calls("destroyAll"))
        .extracting(FakeBatchNode.Call::node, FakeBatchNode.Call::ids)
        .containsExactlyInAnyOrder(
            org.assertj.core.groups.Tuple.tuple(NODE_A, List.of("i-1", "i-3")),
            org.assertj.core.groups.Tuple.tuple(NODE_B, List.of("i-2")));
    assertThat(log.calls("releaseSlots")).hasSize(1);
    assertThat(log.ids("releaseSlots")).containsExactlyInAnyOrder("i-1", "i-2", "i-3");
    assertThat(log.steps().get(log.steps().size() - 1)).isEqualTo("releaseSlots");
  }

  @Test
  void instancesOfALostNodeOnlyGiveTheirSlotsBack() {
    retire(new RetireRequest("i-1", NODE_A, "idle"), new RetireRequest("i-2", NODE_B, RetireInstanceWorkflowImpl.NODE_LOST));

    assertThat(log.calls()).filteredOn(c -> NODE_B.equals(c.node())).isEmpty();
    assertThat(log.ids("releaseSlots")).containsExactly("i-2", "i-1");
  }

  @Test
  void aNodeWhoseStepFailsForGoodKeepsItsSlotsAndTheOthersAreFreed() {
    log.failAlways("destroyAll", "i-2",
        ApplicationFailure.newNonRetryableFailure("domain stuck", "Stuck"));

    WorkflowFailedException thrown = catchThrowableOfType(WorkflowFailedException.class, () -> retire(
        new RetireRequest("i-1", NODE_A, "idle"), new RetireRequest("i-2", NODE_B, "idle")));

    assertThat(((ApplicationFailure) thrown.getCause()).getType()).isEqualTo(RetireInstancesWorkflow.RETIRE_INCOMPLETE);
    assertThat(log.calls()).filteredOn(c -> NODE_B.equals(c.node())).extracting(FakeBatchNode.Call::step)
        .containsExactly("detachAll", "destroyAll");
    assertThat(log.ids("releaseSlots")).containsExactly("i-1");
  }
}

package dev.faaster.workflows.coldstart;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.mockito.Mockito.doThrow;
import static org.mockito.Mockito.inOrder;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.mockito.Mockito.withSettings;

import dev.faaster.workflows.NodeTaskQueues;
import dev.faaster.workflows.TaskQueues;
import dev.faaster.workflows.code.CodeActivities;
import dev.faaster.workflows.instance.InstanceActivities;
import dev.faaster.workflows.route.RouteActivities;
import dev.faaster.workflows.schedule.SlotActivities;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.mockito.InOrder;

class RetireInstanceWorkflowTest {

  static final String NODE = "node-a";
  static final String INSTANCE = "i-7f3a";

  private TestWorkflowEnvironment env;
  private SlotActivities slots;
  private InstanceActivities instances;
  private CodeActivities code;
  private RouteActivities routes;

  @BeforeEach
  void setUp() {
    slots = mock(SlotActivities.class, withSettings().withoutAnnotations());
    instances = mock(InstanceActivities.class, withSettings().withoutAnnotations());
    code = mock(CodeActivities.class, withSettings().withoutAnnotations());
    routes = mock(RouteActivities.class, withSettings().withoutAnnotations());
    env = TestWorkflowEnvironment.newInstance();
    Worker control = env.newWorker(TaskQueues.CONTROL);
    control.registerWorkflowImplementationTypes(RetireInstanceWorkflowImpl.class);
    control.registerActivitiesImplementations(slots);
    env.newWorker(NodeTaskQueues.of(NODE)).registerActivitiesImplementations(instances, code, routes);
    env.start();
  }

  @AfterEach
  void tearDown() {
    env.close();
  }

  private void retire(String reason) {
    env.getWorkflowClient()
        .newWorkflowStub(
            RetireInstanceWorkflow.class,
            WorkflowOptions.newBuilder()
                .setTaskQueue(TaskQueues.CONTROL)
                .setWorkflowId(ColdStartWorkflowIds.retireOf(INSTANCE))
                .build())
        .retire(new RetireRequest(INSTANCE, NODE, reason));
  }

  @Test
  void idleInstanceGoesInReverseOrderOfItsColdStart() {
    retire("idle");

    InOrder order = inOrder(routes, instances, code, slots);
    order.verify(routes).detach(INSTANCE);
    order.verify(instances).destroy(INSTANCE);
    order.verify(code).releaseCode(INSTANCE);
    order.verify(slots).release(INSTANCE);
  }

  @Test
  void lostNodeOnlyFreesTheSlot() {
    retire("node-lost");

    verify(slots).release(INSTANCE);
    verifyNoInteractions(routes, instances, code);
  }

  @Test
  void transientFailuresAreRetriedAndTheRetirementCompletes() {
    doThrow(new RuntimeException("libvirt connection reset"))
        .doThrow(new RuntimeException("libvirt connection reset"))
        .doNothing()
        .when(instances)
        .destroy(INSTANCE);
    doThrow(new RuntimeException("database unavailable")).doNothing().when(slots).release(INSTANCE);

    retire("timeout");

    verify(instances, times(3)).destroy(INSTANCE);
    verify(slots, times(2)).release(INSTANCE);
    InOrder order = inOrder(instances, code, slots);
    order.verify(instances, times(3)).destroy(INSTANCE);
    order.verify(code).releaseCode(INSTANCE);
    order.verify(slots, times(2)).release(INSTANCE);
  }

  @Test
  void aVmThatCannotBeDestroyedKeepsItsSlot() {
    doThrow(ApplicationFailure.newNonRetryableFailure("domain is locked", "DomainLocked"))
        .when(instances)
        .destroy(INSTANCE);

    WorkflowFailedException thrown = catchThrowableOfType(WorkflowFailedException.class, () -> retire("crashed"));

    assertThat(thrown.getCause()).isInstanceOf(ActivityFailure.class);
    verify(routes).detach(INSTANCE);
    verify(code, never()).releaseCode(INSTANCE);
    verify(slots, never()).release(INSTANCE);
  }
}

package dev.faaster.workflows.coldstart;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.doThrow;
import static org.mockito.Mockito.inOrder;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.mockito.Mockito.when;
import static org.mockito.Mockito.withSettings;

import dev.faaster.workflows.NodeTaskQueues;
import dev.faaster.workflows.TaskQueues;
import dev.faaster.workflows.code.CodeActivities;
import dev.faaster.workflows.code.CodeFailureTypes;
import dev.faaster.workflows.code.CodeOnNode;
import dev.faaster.workflows.instance.GuestCode;
import dev.faaster.workflows.instance.InstanceActivities;
import dev.faaster.workflows.instance.InstanceFailureTypes;
import dev.faaster.workflows.instance.InstanceHandle;
import dev.faaster.workflows.instance.LoadedCode;
import dev.faaster.workflows.route.RouteActivities;
import dev.faaster.workflows.schedule.SlotActivities;
import dev.faaster.workflows.schedule.SlotGrant;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.mockito.ArgumentCaptor;
import org.mockito.InOrder;

class ColdStartWorkflowTest {

  static final String NODE = "node-a";
  static final String INSTANCE = "i-7f3a";
  static final String TEMPLATE = "tpl-python3-1";
  static final String SHA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
  static final String VPC = "{\"subnets\":[\"subnet-1\"]}";

  static final ColdStartRequest RESTORE =
      new ColdStartRequest(
          INSTANCE, "tenant-1", "fn-42", "resize-image", 3, "python3", "app.handler", 200, SHA,
          Map.of("STAGE", "test"), VPC, StartMode.RESTORE);
  static final ColdStartRequest BOOT =
      new ColdStartRequest(
          INSTANCE, "tenant-1", "fn-42", "resize-image", 3, "python3", "app.handler", 200, SHA,
          Map.of("STAGE", "test"), VPC, StartMode.BOOT);

  static final SlotGrant GRANT = new SlotGrant("slot-256-17", NODE, 256);
  static final InstanceHandle HANDLE =
      new InstanceHandle(
          INSTANCE, NODE, "faaster-" + INSTANCE, "uuid-1", "52:54:00:00:00:01", "h-" + INSTANCE,
          "/run/faaster/agents/" + INSTANCE + ".sock", 42, true);
  static final CodeOnNode CODE = new CodeOnNode("/var/cache/faaster/l1/" + SHA, 4_096, "l2", 12);
  static final LoadedCode LOADED = new LoadedCode(3, 12_288, 30);

  private TestWorkflowEnvironment env;
  private SlotActivities slots;
  private TemplateLookupActivities templates;
  private InstanceActivities instances;
  private CodeActivities code;
  private RouteActivities routes;

  @BeforeEach
  void cannedHappyPath() {
    slots = mock(SlotActivities.class, withSettings().withoutAnnotations());
    templates = mock(TemplateLookupActivities.class, withSettings().withoutAnnotations());
    instances = mock(InstanceActivities.class, withSettings().withoutAnnotations());
    code = mock(CodeActivities.class, withSettings().withoutAnnotations());
    routes = mock(RouteActivities.class, withSettings().withoutAnnotations());
    when(slots.reserve(INSTANCE, 200)).thenReturn(GRANT);
    when(templates.currentTemplate(NODE, "python3")).thenReturn(TEMPLATE);
    when(instances.createFromTemplate(INSTANCE, TEMPLATE)).thenReturn(HANDLE);
    when(instances.createByBooting(INSTANCE, TEMPLATE)).thenReturn(HANDLE);
    when(instances.loadCode(anyString(), any())).thenReturn(LOADED);
    when(code.ensureCodeOnNode(INSTANCE, "tenant-1", SHA)).thenReturn(CODE);
    when(routes.attach(INSTANCE, "tenant-1", VPC)).thenReturn(1);

    env = TestWorkflowEnvironment.newInstance();
    Worker control = env.newWorker(TaskQueues.CONTROL);
    control.registerWorkflowImplementationTypes(ColdStartWorkflowImpl.class);
    // Local or not (ColdStartWorkflowImpl.CONTROL_STEPS_LOCAL), control steps run on this worker.
    control.registerActivitiesImplementations(slots, templates);
    // The node's own queue: only the agent of the node that owns the VM polls it.
    Worker node = env.newWorker(NodeTaskQueues.of(NODE));
    node.registerActivitiesImplementations(instances, code, routes, templates);
    // A placed cold start runs here, its node steps local activities of this worker.
    node.registerWorkflowImplementationTypes(ColdStartWorkflowImpl.class);
  }

  @AfterEach
  void tearDown() {
    env.close();
  }

  private ColdStartResult start(ColdStartRequest request) {
    return startOn(
        request.placement() == null ? TaskQueues.CONTROL : NodeTaskQueues.of(request.placement().slot().nodeId()),
        request);
  }

  private ColdStartResult startOn(String queue, ColdStartRequest request) {
    env.start();
    WorkflowClient client = env.getWorkflowClient();
    ColdStartWorkflow workflow =
        client.newWorkflowStub(
            ColdStartWorkflow.class,
            WorkflowOptions.newBuilder()
                .setTaskQueue(queue)
                .setWorkflowId(ColdStartWorkflowIds.of(request.instanceId()))
                .build());
    return workflow.start(request);
  }

  private ApplicationFailure failureOf(ColdStartRequest request) {
    WorkflowFailedException thrown = catchThrowableOfType(WorkflowFailedException.class, () -> start(request));
    // WorkflowFailedException -> ActivityFailure -> ApplicationFailure: the router reads the type.
    assertThat(thrown).isNotNull();
    assertThat(thrown.getCause()).isInstanceOf(ActivityFailure.class);
    assertThat(thrown.getCause().getCause()).isInstanceOf(ApplicationFailure.class);
    return (ApplicationFailure) thrown.getCause().getCause();
  }

  @Test
  void restoresLoadsAndReportsWhereTheInstanceRunsWithItsStages() {
    ColdStartResult result = start(RESTORE);

    assertThat(result.instanceId()).isEqualTo(INSTANCE);
    assertThat(result.nodeId()).isEqualTo(NODE);
    assertThat(result.slotId()).isEqualTo(GRANT.slotId());
    assertThat(result.agentSocket()).isEqualTo(HANDLE.agentSocket());
    assertThat(result.mode()).isEqualTo(StartMode.RESTORE);
    assertThat(result.codeSource()).isEqualTo("l2");
    ColdStartStages stages = result.stages();
    assertThat(stages.scheduleMillis()).isNotNegative();
    assertThat(stages.vmMillis()).isNotNegative();
    assertThat(stages.codeMillis()).isNotNegative();
    assertThat(stages.networkMillis()).isNotNegative();
    assertThat(stages.loadMillis()).isNotNegative();
    // Schedule, then the slowest of the concurrent three, then load: all inside the total.
    long concurrent = Math.max(stages.vmMillis(), Math.max(stages.codeMillis(), stages.networkMillis()));
    assertThat(stages.totalMillis()).isGreaterThanOrEqualTo(stages.scheduleMillis() + concurrent + stages.loadMillis());

    verify(instances).createFromTemplate(INSTANCE, TEMPLATE);
    verify(instances, never()).createByBooting(anyString(), anyString());
    ArgumentCaptor<GuestCode> guest = ArgumentCaptor.forClass(GuestCode.class);
    verify(instances).loadCode(eq(INSTANCE), guest.capture());
    assertThat(guest.getValue())
        .isEqualTo(
            new GuestCode("python3", "app.handler", CODE.path(), SHA, "resize-image", 3, 200, Map.of("STAGE", "test")));
    verify(slots, never()).release(anyString());
    verify(instances, never()).destroy(anyString());
    verify(code, never()).releaseCode(anyString());
    verify(routes, never()).detach(anyString());
  }

  @Test
  void aPlacedColdStartRunsItsNodeStepsAsLocalActivitiesOnTheNodeWithoutReserving() {
    ColdStartResult result = start(RESTORE.placedOn(new NodePlacement(GRANT, 7)));

    assertThat(result.nodeId()).isEqualTo(NODE);
    assertThat(result.slotId()).isEqualTo(GRANT.slotId());
    assertThat(result.agentSocket()).isEqualTo(HANDLE.agentSocket());
    // The caller's reservation is the schedule stage, and inside the total.
    assertThat(result.stages().scheduleMillis()).isEqualTo(7);
    assertThat(result.stages().totalMillis()).isGreaterThanOrEqualTo(7);
    verify(slots, never()).reserve(anyString(), eq(200));
    verify(instances).createFromTemplate(INSTANCE, TEMPLATE);
    verify(code).ensureCodeOnNode(INSTANCE, "tenant-1", SHA);
    verify(routes).attach(INSTANCE, "tenant-1", VPC);
    verify(instances).loadCode(eq(INSTANCE), any());
    // No step was dispatched through a task queue: each is a marker in the workflow's own history.
    List<HistoryEvent> events = history(INSTANCE);
    assertThat(events).noneMatch(HistoryEvent::hasActivityTaskScheduledEventAttributes);
    assertThat(events.stream().filter(HistoryEvent::hasMarkerRecordedEventAttributes).count())
        .as("template lookup, restore, code, routes, load")
        .isEqualTo(5);
    verify(slots, never()).release(anyString());
  }

  @Test
  void aPlacedColdStartThatFailsUndoesItsNodeStepsLocallyAndReleasesTheSlotOnTheControlQueue() {
    when(instances.createFromTemplate(INSTANCE, TEMPLATE))
        .thenThrow(ApplicationFailure.newFailure("template files gone", InstanceFailureTypes.TEMPLATE_NOT_ON_NODE));

    assertThat(failureOf(RESTORE.placedOn(new NodePlacement(GRANT, 3))).getType())
        .isEqualTo(InstanceFailureTypes.TEMPLATE_NOT_ON_NODE);

    InOrder order = inOrder(instances, routes, code, slots);
    order.verify(instances).destroy(INSTANCE);
    order.verify(routes).detach(INSTANCE);
    order.verify(code).releaseCode(INSTANCE);
    order.verify(slots).release(INSTANCE);
    verify(slots, never()).reserve(anyString(), eq(200));
    // The slot's release is the one step sent to another queue: the free lists are the control's.
    List<HistoryEvent> scheduled =
        history(INSTANCE).stream().filter(HistoryEvent::hasActivityTaskScheduledEventAttributes).toList();
    assertThat(scheduled).hasSize(1);
    assertThat(scheduled.get(0).getActivityTaskScheduledEventAttributes().getActivityType().getName()).isEqualTo("Release");
    assertThat(scheduled.get(0).getActivityTaskScheduledEventAttributes().getTaskQueue().getName())
        .isEqualTo(TaskQueues.CONTROL);
  }

  @Test
  void aPlacedColdStartOnAnotherQueueThanItsNodesMakesNothingAndFreesTheSlot() {
    WorkflowFailedException thrown =
        catchThrowableOfType(
            WorkflowFailedException.class,
            () -> startOn(TaskQueues.CONTROL, RESTORE.placedOn(new NodePlacement(GRANT, 3))));

    assertThat(thrown).isNotNull();
    assertThat(((ApplicationFailure) thrown.getCause()).getType()).isEqualTo(ColdStartFailureTypes.MISPLACED);
    verify(slots).release(INSTANCE);
    verifyNoInteractions(instances, code, routes);
  }

  private List<HistoryEvent> history(String instanceId) {
    return env.getWorkflowClient()
        .fetchHistory(ColdStartWorkflowIds.of(instanceId))
        .getHistory()
        .getEventsList();
  }

  @Test
  void bootModeBootsInsteadOfRestoring() {
    ColdStartResult result = start(BOOT);

    assertThat(result.mode()).isEqualTo(StartMode.BOOT);
    verify(instances).createByBooting(INSTANCE, TEMPLATE);
    verify(instances, never()).createFromTemplate(anyString(), anyString());
    verify(instances).loadCode(eq(INSTANCE), any());
  }

  @Test
  void codeAndRoutesStartWhileTheVmIsStillBeingMade() throws Exception {
    CountDownLatch codeStarted = new CountDownLatch(1);
    CountDownLatch routesStarted = new CountDownLatch(1);
    AtomicBoolean vmSawBothStart = new AtomicBoolean();
    when(code.ensureCodeOnNode(INSTANCE, "tenant-1", SHA))
        .thenAnswer(
            call -> {
              codeStarted.countDown();
              return CODE;
            });
    when(routes.attach(INSTANCE, "tenant-1", VPC))
        .thenAnswer(
            call -> {
              routesStarted.countDown();
              return 1;
            });
    // The VM step doesn't finish until the other two have started: run one after the other, the
    // latches would never open (the bound only keeps a broken workflow from hanging the build).
    when(instances.createFromTemplate(INSTANCE, TEMPLATE))
        .thenAnswer(
            call -> {
              vmSawBothStart.set(codeStarted.await(10, TimeUnit.SECONDS) && routesStarted.await(10, TimeUnit.SECONDS));
              return HANDLE;
            });

    start(RESTORE);

    assertThat(vmSawBothStart).isTrue();
    // And the load waits for all three.
    InOrder order = inOrder(instances, code, routes);
    order.verify(code).ensureCodeOnNode(INSTANCE, "tenant-1", SHA);
    order.verify(instances).loadCode(eq(INSTANCE), any());
  }

  @Test
  void transientStepFailuresAreRetriedQuicklyWithoutUndoing() {
    when(instances.createFromTemplate(INSTANCE, TEMPLATE))
        .thenThrow(new RuntimeException("libvirt connection reset"))
        .thenThrow(new RuntimeException("libvirt connection reset"))
        .thenReturn(HANDLE);

    ColdStartResult result = start(RESTORE);

    assertThat(result.agentSocket()).isEqualTo(HANDLE.agentSocket());
    verify(instances, times(3)).createFromTemplate(INSTANCE, TEMPLATE);
    verify(instances, never()).destroy(anyString());
    verify(slots, never()).release(anyString());
  }

  @Test
  void noCapacityDoesNoNodeStepsAndIsNotRetried() {
    // Retryable as thrown: the step retry policy's doNotRetry list must stop it.
    when(slots.reserve(INSTANCE, 200))
        .thenThrow(ApplicationFailure.newFailure("no free 256 MiB slot", ColdStartFailureTypes.NO_CAPACITY));

    assertThat(failureOf(RESTORE).getType()).isEqualTo(ColdStartFailureTypes.NO_CAPACITY);

    verify(slots, times(1)).reserve(INSTANCE, 200);
    verify(slots).release(INSTANCE);
    verifyNoInteractions(templates, instances, code, routes);
  }

  @Test
  void missingTemplateUndoesCodeAndRoutesButDestroysNoVm() {
    when(templates.currentTemplate(NODE, "python3"))
        .thenThrow(ApplicationFailure.newFailure("no READY python3 template", InstanceFailureTypes.TEMPLATE_NOT_ON_NODE));

    assertThat(failureOf(RESTORE).getType()).isEqualTo(InstanceFailureTypes.TEMPLATE_NOT_ON_NODE);

    verify(templates, times(1)).currentTemplate(NODE, "python3");
    verify(instances, never()).createFromTemplate(anyString(), anyString());
    verify(instances, never()).destroy(anyString());
    InOrder order = inOrder(routes, code, slots);
    order.verify(routes).detach(INSTANCE);
    order.verify(code).releaseCode(INSTANCE);
    order.verify(slots).release(INSTANCE);
    verify(instances, never()).loadCode(anyString(), any());
  }

  @Test
  void vmFailingForGoodUndoesEverythingStartedVmFirst() {
    when(instances.createFromTemplate(INSTANCE, TEMPLATE))
        .thenThrow(ApplicationFailure.newFailure("template files gone", InstanceFailureTypes.TEMPLATE_NOT_ON_NODE));

    assertThat(failureOf(RESTORE).getType()).isEqualTo(InstanceFailureTypes.TEMPLATE_NOT_ON_NODE);

    verify(instances, times(1)).createFromTemplate(INSTANCE, TEMPLATE);
    // Its result may have been lost after the VM was made: destroyed anyway (a no-op if it wasn't).
    InOrder order = inOrder(instances, routes, code, slots);
    order.verify(instances).destroy(INSTANCE);
    order.verify(routes).detach(INSTANCE);
    order.verify(code).releaseCode(INSTANCE);
    order.verify(slots).release(INSTANCE);
    verify(instances, never()).loadCode(anyString(), any());
  }

  @Test
  void codeUnavailableUndoesTheVmTheRoutesTheCodeHoldAndTheSlot() {
    when(code.ensureCodeOnNode(INSTANCE, "tenant-1", SHA))
        .thenThrow(ApplicationFailure.newFailure("no tier has " + SHA, CodeFailureTypes.CODE_UNAVAILABLE));

    assertThat(failureOf(RESTORE).getType()).isEqualTo(CodeFailureTypes.CODE_UNAVAILABLE);

    verify(code, times(1)).ensureCodeOnNode(INSTANCE, "tenant-1", SHA);
    // The VM and routes branches ran to the end before the undo, so nothing is made after it.
    verify(instances).createFromTemplate(INSTANCE, TEMPLATE);
    verify(routes).attach(INSTANCE, "tenant-1", VPC);
    InOrder order = inOrder(instances, routes, code, slots);
    order.verify(instances).destroy(INSTANCE);
    order.verify(routes).detach(INSTANCE);
    order.verify(code).releaseCode(INSTANCE);
    order.verify(slots).release(INSTANCE);
    verify(instances, never()).loadCode(anyString(), any());
  }

  @Test
  void routesFailingAfterTheRetriesUndoEverything() {
    when(routes.attach(INSTANCE, "tenant-1", VPC)).thenThrow(new RuntimeException("proxy unreachable"));

    ApplicationFailure failure = failureOf(RESTORE);

    assertThat(failure.getOriginalMessage()).isEqualTo("proxy unreachable");
    verify(routes, times(ColdStartWorkflowImpl.STEP_RETRY.getMaximumAttempts())).attach(INSTANCE, "tenant-1", VPC);
    verify(instances).destroy(INSTANCE);
    verify(routes).detach(INSTANCE);
    verify(code).releaseCode(INSTANCE);
    verify(slots).release(INSTANCE);
    verify(instances, never()).loadCode(anyString(), any());
  }

  @Test
  void codeTheGuestRefusesIsNotRetriedAndEverythingIsUndone() {
    when(instances.loadCode(anyString(), any()))
        .thenThrow(ApplicationFailure.newFailure("no module named app", ColdStartFailureTypes.CODE_LOAD_FAILED));

    assertThat(failureOf(RESTORE).getType()).isEqualTo(ColdStartFailureTypes.CODE_LOAD_FAILED);

    verify(instances, times(1)).loadCode(anyString(), any());
    InOrder order = inOrder(instances, routes, code, slots);
    order.verify(instances).destroy(INSTANCE);
    order.verify(routes).detach(INSTANCE);
    order.verify(code).releaseCode(INSTANCE);
    order.verify(slots).release(INSTANCE);
  }

  @Test
  void aTransientUndoFailureIsRetriedAndTheRestStillRuns() {
    when(instances.loadCode(anyString(), any()))
        .thenThrow(ApplicationFailure.newFailure("no module named app", ColdStartFailureTypes.CODE_LOAD_FAILED));
    doThrow(new RuntimeException("libvirt connection reset"))
        .doThrow(new RuntimeException("libvirt connection reset"))
        .doNothing()
        .when(instances)
        .destroy(INSTANCE);

    // The cold start reports why it failed, not why one of its undo steps stumbled.
    assertThat(failureOf(RESTORE).getType()).isEqualTo(ColdStartFailureTypes.CODE_LOAD_FAILED);

    InOrder order = inOrder(instances, routes, code, slots);
    order.verify(instances, times(3)).destroy(INSTANCE);
    order.verify(routes).detach(INSTANCE);
    order.verify(code).releaseCode(INSTANCE);
    order.verify(slots).release(INSTANCE);
  }

  @Test
  void aTransientSlotReleaseFailureIsRetried() {
    when(slots.reserve(INSTANCE, 200))
        .thenThrow(ApplicationFailure.newFailure("no free 256 MiB slot", ColdStartFailureTypes.NO_CAPACITY));
    doThrow(new RuntimeException("database unavailable"))
        .doThrow(new RuntimeException("database unavailable"))
        .doThrow(new RuntimeException("database unavailable"))
        .doNothing()
        .when(slots)
        .release(INSTANCE);

    assertThat(failureOf(RESTORE).getType()).isEqualTo(ColdStartFailureTypes.NO_CAPACITY);

    verify(slots, times(4)).release(INSTANCE);
    verify(slots, times(1)).reserve(INSTANCE, 200);
  }
}

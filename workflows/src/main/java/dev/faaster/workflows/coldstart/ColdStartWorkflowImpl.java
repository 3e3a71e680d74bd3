package dev.faaster.workflows.coldstart;

import dev.faaster.workflows.FailureReasons;
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
import io.temporal.activity.ActivityCancellationType;
import io.temporal.activity.ActivityOptions;
import io.temporal.activity.LocalActivityOptions;
import io.temporal.common.RetryOptions;
import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.TemporalFailure;
import io.temporal.workflow.Async;
import io.temporal.workflow.Functions;
import io.temporal.workflow.Promise;
import io.temporal.workflow.Saga;
import io.temporal.workflow.Workflow;
import java.time.Duration;
import org.slf4j.Logger;

/**
 * Deterministic cold start: slot, then VM, code and routes concurrently on the slot's node, then
 * the code loaded into the guest. All I/O is in the activities; what undoes what is here.
 *
 * <p>Two placements, the same steps and undos. A request that comes {@linkplain
 * ColdStartRequest#placement() placed} (its slot reserved by the caller) runs on that node's own
 * task queue, and its node steps are local activities of the node's worker: they run in the
 * workflow's task and are recorded as markers when it completes, so the cold path has no
 * activity dispatch at all. The node losing its worker mid-task times the task out, and the node's
 * next worker replays it, re-running the steps not yet recorded (each is idempotent by instance
 * id). An unplaced request runs on the control queue, reserves its own slot and sends each node
 * step to the node's queue as an ordinary activity (one dispatch round trip per step on the path).
 */
public class ColdStartWorkflowImpl implements ColdStartWorkflow {

  private static final Logger log = Workflow.getLogger(ColdStartWorkflowImpl.class);

  /**
   * The one switch for the control-plane steps (slot reservation and template lookup, short DB
   * steps on the control queue). Local: they run inside the workflow's own task on the worker that
   * runs the workflow and are recorded as markers, saving a matching round trip each on the cold
   * path; a worker lost mid-call repeats them, which is safe (reserve is idempotent by instance id,
   * the lookup is a read). False: ordinary activities on {@link TaskQueues#CONTROL}.
   *
   * <p>Cost to weigh: a workflow task with a local activity pending is completed only when it
   * returns, so the local template lookup in the VM branch also holds back the dispatch of the code
   * and route steps started in the same task by the lookup's duration (a DB read). The histories
   * show it: EnsureCodeOnNode and Attach are scheduled together with the lookup's marker.
   *
   * <p>Measure before flipping. A flip changes the commands the workflow emits, so cold starts in
   * flight across the flip don't replay (they live for seconds: drain first) and the recorded
   * histories of {@code ColdStartWorkflowReplayTest} must be regenerated.
   */
  static final boolean CONTROL_STEPS_LOCAL = true;

  /** Failures a retry can't fix: the workflow stops retrying and compensates. */
  static final String[] PERMANENT = {
    ColdStartFailureTypes.NO_CAPACITY,
    ColdStartFailureTypes.UNSUPPORTED_MEMORY,
    ColdStartFailureTypes.CODE_LOAD_FAILED,
    CodeFailureTypes.CODE_UNAVAILABLE,
    CodeFailureTypes.CODE_ACCESS_DENIED,
    InstanceFailureTypes.TEMPLATE_NOT_ON_NODE,
    InstanceFailureTypes.INSTANCE_GONE,
  };

  /**
   * The cold path is on a request's critical path: retry a transient fault quickly, a few times,
   * then give up and let the router answer (or try again with a new instance).
   */
  static final RetryOptions STEP_RETRY =
      RetryOptions.newBuilder()
          .setInitialInterval(Duration.ofMillis(100))
          .setBackoffCoefficient(2.0)
          .setMaximumInterval(Duration.ofSeconds(1))
          .setMaximumAttempts(3)
          .setDoNotRetry(PERMANENT)
          .build();

  /** Compensation must get through: more attempts and longer back-off; every undo is idempotent. */
  static final RetryOptions UNDO_RETRY =
      RetryOptions.newBuilder()
          .setInitialInterval(Duration.ofMillis(200))
          .setBackoffCoefficient(2.0)
          .setMaximumInterval(Duration.ofSeconds(10))
          .setMaximumAttempts(20)
          .setDoNotRetry(PERMANENT)
          .build();

  /** A slot or registry read: milliseconds against the database. */
  static final Duration CONTROL_TIMEOUT = Duration.ofSeconds(5);
  /** Copy-on-write restore: ~0.1 s measured, 0.5 s through libvirt restore; seconds mean stuck. */
  static final Duration RESTORE_TIMEOUT = Duration.ofSeconds(15);
  /** A full boot under TCG: 5–8 s measured, far more on a loaded host. */
  static final Duration BOOT_TIMEOUT = Duration.ofMinutes(2);
  /** A big package from the origin through the zone cache. */
  static final Duration CODE_TIMEOUT = Duration.ofMinutes(2);
  /** Proxy routes: a local table update (a no-op until the net proxy issue). */
  static final Duration ROUTE_TIMEOUT = Duration.ofSeconds(10);
  /** Unpacking plus python3 importing the handler. */
  static final Duration LOAD_TIMEOUT = Duration.ofSeconds(30);
  /** One undo attempt. */
  static final Duration UNDO_TIMEOUT = Duration.ofSeconds(30);
  /** All attempts of one undo, queue time included: a node that stays away is the reconciler's. */
  static final Duration UNDO_TOTAL = Duration.ofMinutes(10);

  private final SlotActivities slots =
      controlStub(SlotActivities.class, CONTROL_TIMEOUT, CONTROL_TIMEOUT.multipliedBy(3), STEP_RETRY);
  private final TemplateLookupActivities templates =
      controlStub(TemplateLookupActivities.class, CONTROL_TIMEOUT, CONTROL_TIMEOUT.multipliedBy(3), STEP_RETRY);
  private final SlotActivities slotUndo = controlStub(SlotActivities.class, UNDO_TIMEOUT, UNDO_TOTAL, UNDO_RETRY);
  /** A placed cold start runs on a node, whose worker has no free lists: its slot goes back on the control queue. */
  private final SlotActivities slotUndoOnControl =
      new Stubs(TaskQueues.CONTROL).of(SlotActivities.class, UNDO_TIMEOUT, UNDO_TOTAL, UNDO_RETRY);

  @Override
  public ColdStartResult start(ColdStartRequest request) {
    long startedAt = Workflow.getInfo().getRunStartedTimestampMillis();
    String instanceId = request.instanceId();
    String who = describe(request);
    // Sequential and stopping at the first undo that fails for good: the code must not be released
    // while the VM that reads it may still run, nor the slot freed while the VM may hold it.
    Saga saga = new Saga(new Saga.Options.Builder().setParallelCompensation(false).build());
    try {
      // Registered before the call it undoes: a step that succeeded but whose result was lost
      // (worker killed) must still be undone. Every undo tolerates the thing never having been made.
      SlotGrant grant;
      long scheduleMillis;
      NodeSteps node;
      NodePlacement placement = request.placement();
      if (placement == null) {
        saga.addCompensation(slotUndo::release, instanceId);
        long scheduleStart = Workflow.currentTimeMillis();
        grant = slots.reserve(instanceId, request.memoryMb());
        scheduleMillis = Workflow.currentTimeMillis() - scheduleStart;
        node = NodeSteps.onQueueOf(grant.nodeId());
      } else {
        // Reserved by the caller; this workflow owns it now. Released through the control queue:
        // the free lists live in the control processes, not on the node.
        saga.addCompensation(slotUndoOnControl::release, instanceId);
        String queue = Workflow.getInfo().getTaskQueue();
        if (!queue.equals(NodeTaskQueues.of(placement.slot().nodeId()))) {
          // Local node steps anywhere but on the slot's node would make the VM on the wrong host.
          throw ApplicationFailure.newNonRetryableFailure(
              "a cold start placed on node " + placement.slot().nodeId() + " must run on its task queue, not " + queue,
              ColdStartFailureTypes.MISPLACED);
        }
        grant = placement.slot();
        scheduleMillis = placement.scheduleMillis();
        startedAt -= scheduleMillis;
        node = NodeSteps.local();
      }
      log.info("{}: slot {} on {} ({} MiB{})", who, grant.slotId(), grant.nodeId(), grant.flavorMb(),
          placement == null ? "" : ", placed by the caller; node steps local");

      saga.addCompensation(node.undoCode::releaseCode, instanceId);
      saga.addCompensation(node.undoRoutes::detach, instanceId);
      Promise<Timed<InstanceHandle>> vm = Async.function(() -> timed(() -> createVm(request, grant, node, saga)));
      Promise<Timed<CodeOnNode>> code =
          Async.function(
              () -> timed(() -> node.code.ensureCodeOnNode(instanceId, request.tenantId(), request.codeSha256())));
      Promise<Timed<Integer>> routes =
          Async.function(() -> timed(() -> node.routes.attach(instanceId, request.tenantId(), request.vpcConfig())));
      // Wait for all three to settle, failed or not, before going on or undoing: an attach still in
      // flight when its detach runs would leave a route behind.
      Promise.allOf(settled(vm), settled(code), settled(routes)).get();
      InstanceHandle instance = vm.get().value();
      CodeOnNode onNode = code.get().value();
      int attached = routes.get().value();

      long loadStart = Workflow.currentTimeMillis();
      LoadedCode loaded =
          node.load.loadCode(
              instanceId,
              new GuestCode(
                  request.runtime(),
                  request.handler(),
                  onNode.path(),
                  request.codeSha256(),
                  request.functionName(),
                  request.version(),
                  request.memoryMb(),
                  request.environment()));
      long readyAt = Workflow.currentTimeMillis();

      ColdStartStages stages =
          new ColdStartStages(
              scheduleMillis,
              vm.get().millis(),
              code.get().millis(),
              routes.get().millis(),
              readyAt - loadStart,
              readyAt - startedAt);
      log.info(
          "{}: ready on {} ({}; code from {}, {} routes, {} files loaded); stages {}",
          who,
          grant.nodeId(),
          request.mode(),
          onNode.source(),
          attached,
          loaded.files(),
          stages);
      return new ColdStartResult(
          instanceId, grant.nodeId(), grant.slotId(), instance.agentSocket(), request.mode(), onNode.source(), stages);
    } catch (TemporalFailure failure) {
      log.warn("{}: cold start failed, undoing: {}", who, reasonOf(failure));
      // Detached: compensation must run even when the workflow itself is being cancelled.
      Workflow.newDetachedCancellationScope(() -> compensate(saga, who)).run();
      throw failure;
    }
  }

  /** The VM branch (its stage time includes the lookup): the node's template, then restore or boot. */
  private InstanceHandle createVm(ColdStartRequest request, SlotGrant grant, NodeSteps node, Saga saga) {
    String templateId = templates.currentTemplate(grant.nodeId(), request.runtime());
    // Registered here, not up front: a lookup that fails leaves no VM to destroy. It is the last
    // one registered, so it runs first: the VM goes before its routes and the code it reads.
    saga.addCompensation(node.undoInstance::destroy, request.instanceId());
    return request.mode() == StartMode.BOOT
        ? node.boot.createByBooting(request.instanceId(), templateId)
        : node.restore.createFromTemplate(request.instanceId(), templateId);
  }

  /** Runs the undos newest first; one that fails for good stops the rest and is left to the reconciler. */
  private static void compensate(Saga saga, String who) {
    try {
      saga.compensate();
      log.info("{}: undone", who);
    } catch (TemporalFailure undoFailure) {
      log.error("{}: undo incomplete, left for the node's reconciler: {}", who, reasonOf(undoFailure));
    }
  }

  /**
   * Stubs of the steps on the slot's node (the VM, its L1 cache and its proxy routes are there):
   * ordinary activities on the node's own task queue, or local activities when the workflow itself
   * runs on that queue.
   */
  private static final class NodeSteps {
    final InstanceActivities restore;
    final InstanceActivities boot;
    final InstanceActivities load;
    final CodeActivities code;
    final RouteActivities routes;
    final InstanceActivities undoInstance;
    final CodeActivities undoCode;
    final RouteActivities undoRoutes;

    private NodeSteps(Stubs stubs) {
      restore = stubs.of(InstanceActivities.class, RESTORE_TIMEOUT, stepTotal(RESTORE_TIMEOUT), STEP_RETRY);
      boot = stubs.of(InstanceActivities.class, BOOT_TIMEOUT, stepTotal(BOOT_TIMEOUT), STEP_RETRY);
      load = stubs.of(InstanceActivities.class, LOAD_TIMEOUT, stepTotal(LOAD_TIMEOUT), STEP_RETRY);
      code = stubs.of(CodeActivities.class, CODE_TIMEOUT, stepTotal(CODE_TIMEOUT), STEP_RETRY);
      routes = stubs.of(RouteActivities.class, ROUTE_TIMEOUT, stepTotal(ROUTE_TIMEOUT), STEP_RETRY);
      undoInstance = stubs.of(InstanceActivities.class, UNDO_TIMEOUT, UNDO_TOTAL, UNDO_RETRY);
      undoCode = stubs.of(CodeActivities.class, UNDO_TIMEOUT, UNDO_TOTAL, UNDO_RETRY);
      undoRoutes = stubs.of(RouteActivities.class, UNDO_TIMEOUT, UNDO_TOTAL, UNDO_RETRY);
    }

    /** Ordinary activities on the node's queue. */
    static NodeSteps onQueueOf(String nodeId) {
      return new NodeSteps(new Stubs(NodeTaskQueues.of(nodeId)));
    }

    /** Local activities of the worker running this workflow: the node's own. */
    static NodeSteps local() {
      return new NodeSteps(Stubs.LOCAL);
    }

    /** All attempts of a step: bounds the wait for a node that stopped polling its queue. */
    private static Duration stepTotal(Duration startToClose) {
      return startToClose.multipliedBy(STEP_RETRY.getMaximumAttempts()).plusSeconds(5);
    }
  }

  /**
   * Makes activity stubs: local activities of the worker running this workflow ({@link #LOCAL}),
   * or ordinary activities on {@code queue}.
   */
  private record Stubs(String queue) {
    static final Stubs LOCAL = new Stubs(null);

    <T> T of(Class<T> type, Duration startToClose, Duration scheduleToClose, RetryOptions retry) {
      if (queue == null) {
        return Workflow.newLocalActivityStub(
            type,
            LocalActivityOptions.newBuilder()
                .setStartToCloseTimeout(startToClose)
                .setScheduleToCloseTimeout(scheduleToClose)
                .setRetryOptions(retry)
                .build());
      }
      return Workflow.newActivityStub(
          type,
          ActivityOptions.newBuilder()
              .setTaskQueue(queue)
              .setStartToCloseTimeout(startToClose)
              .setScheduleToCloseTimeout(scheduleToClose)
              .setRetryOptions(retry)
              // A cancelled cold start waits for its in-flight steps to end before undoing them
              // (the undos themselves run in a detached scope and are never cancelled).
              .setCancellationType(ActivityCancellationType.WAIT_CANCELLATION_COMPLETED)
              .build());
    }
  }

  /** A control-plane stub, local or not as {@link #CONTROL_STEPS_LOCAL} says. */
  private static <T> T controlStub(
      Class<T> type, Duration startToClose, Duration scheduleToClose, RetryOptions retry) {
    return (CONTROL_STEPS_LOCAL ? Stubs.LOCAL : new Stubs(TaskQueues.CONTROL)).of(type, startToClose, scheduleToClose, retry);
  }

  /** A branch's result and its duration in workflow time. */
  private record Timed<T>(T value, long millis) {}

  private static <T> Timed<T> timed(Functions.Func<T> step) {
    long start = Workflow.currentTimeMillis();
    T value = step.apply();
    return new Timed<>(value, Workflow.currentTimeMillis() - start);
  }

  /** Completes when the promise does, whether it failed or not. */
  private static Promise<Void> settled(Promise<?> promise) {
    return promise.handle((value, failure) -> null);
  }

  private static String describe(ColdStartRequest request) {
    return "instance "
        + request.instanceId()
        + " of tenant "
        + request.tenantId()
        + " function "
        + request.functionName()
        + " ("
        + request.functionId()
        + ") v"
        + request.version();
  }

  /** The innermost failure's message: what actually went wrong, not "activity task failed". */
  static String reasonOf(Throwable failure) {
    return FailureReasons.of(failure);
  }

}

package dev.faaster.workflows.coldstart;

import static dev.faaster.workflows.coldstart.ColdStartWorkflowImpl.CODE_TIMEOUT;
import static dev.faaster.workflows.coldstart.ColdStartWorkflowImpl.CONTROL_TIMEOUT;
import static dev.faaster.workflows.coldstart.ColdStartWorkflowImpl.LOAD_TIMEOUT;
import static dev.faaster.workflows.coldstart.ColdStartWorkflowImpl.RESTORE_TIMEOUT;
import static dev.faaster.workflows.coldstart.ColdStartWorkflowImpl.BOOT_TIMEOUT;
import static dev.faaster.workflows.coldstart.ColdStartWorkflowImpl.ROUTE_TIMEOUT;
import static dev.faaster.workflows.coldstart.ColdStartWorkflowImpl.STEP_RETRY;
import static dev.faaster.workflows.coldstart.ColdStartWorkflowImpl.UNDO_RETRY;
import static dev.faaster.workflows.coldstart.ColdStartWorkflowImpl.UNDO_TIMEOUT;
import static dev.faaster.workflows.coldstart.ColdStartWorkflowImpl.UNDO_TOTAL;

import dev.faaster.workflows.FailureReasons;
import dev.faaster.workflows.InstanceOutcome;
import dev.faaster.workflows.NodeTaskQueues;
import dev.faaster.workflows.code.BatchCodeActivities;
import dev.faaster.workflows.code.CodeOnNode;
import dev.faaster.workflows.instance.BatchInstanceActivities;
import dev.faaster.workflows.instance.GuestCode;
import dev.faaster.workflows.instance.InstanceHandle;
import dev.faaster.workflows.instance.LoadedCode;
import dev.faaster.workflows.route.BatchRouteActivities;
import dev.faaster.workflows.schedule.BatchSlotActivities;
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
import io.temporal.workflow.Workflow;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;

/**
 * Deterministic batch provisioning: the cold start's steps and policies ({@link
 * ColdStartWorkflowImpl}'s timeouts, retries and permanent failures), each step called once for all
 * the batch's instances on a node instead of once per instance. What undoes what is the cold
 * start's saga, applied to the failed instances only: VM destroyed, routes detached, code released,
 * in that order on their node, then their slots freed; an undo that fails for good stops the ones
 * after it (the slot of a VM that may still run stays held) and leaves the rest to the reconciler.
 */
public class ProvisionInstancesWorkflowImpl implements ProvisionInstancesWorkflow {

  private static final Logger log = Workflow.getLogger(ProvisionInstancesWorkflowImpl.class);

  /**
   * Per instance, how much a batch call's start-to-close timeout grows beyond one instance's step
   * timeout. A node works on several instances at once, so these are shares, not step times: a slot
   * is a DB round trip; a restore ~0.1–0.5 s; code is one fetch of one digest, then L1 hits; a route
   * a table update; a load python3's import.
   */
  static final Duration SLOT_SHARE = Duration.ofMillis(100);

  static final Duration VM_SHARE = Duration.ofSeconds(1);
  static final Duration BOOT_SHARE = Duration.ofSeconds(10);
  static final Duration CODE_SHARE = Duration.ofMillis(100);
  static final Duration ROUTE_SHARE = Duration.ofMillis(100);
  static final Duration LOAD_SHARE = Duration.ofSeconds(1);
  static final Duration UNDO_SHARE = Duration.ofSeconds(1);

  /**
   * A batch call heartbeats about every second while it runs; silence this long means its worker
   * died or never got the task (a dispatch lost under load, seen on the dev server), and the call is
   * retried after this, not after its whole start-to-close. Its instances are idempotent by id.
   */
  static final Duration HEARTBEAT_TIMEOUT = Duration.ofSeconds(10);

  private final TemplateLookupActivities templates =
      Workflow.newLocalActivityStub(
          TemplateLookupActivities.class,
          LocalActivityOptions.newBuilder()
              .setStartToCloseTimeout(CONTROL_TIMEOUT)
              .setScheduleToCloseTimeout(CONTROL_TIMEOUT.multipliedBy(3))
              .setRetryOptions(STEP_RETRY)
              .build());

  @Override
  public ProvisionResult provision(ProvisionRequest request) {
    long startedAt = Workflow.getInfo().getRunStartedTimestampMillis();
    List<String> ids = validated(request);
    ColdStartRequest template = request.template();
    String who = describe(template, ids.size());
    Ledger ledger = new Ledger(ids);
    log.info("{}: provisioning", who);

    // One local call for every slot: recorded as one marker, no round trip of its own.
    long scheduleStart = Workflow.currentTimeMillis();
    BatchSlotActivities slots = slotStub(CONTROL_TIMEOUT, SLOT_SHARE, ids.size(), CONTROL_TIMEOUT.multipliedBy(3), STEP_RETRY);
    Map<String, InstanceOutcome<SlotGrant>> grants =
        BatchSteps.run(ids, pending -> slots.reserveSlots(pending, template.memoryMb()));
    long scheduleMillis = Workflow.currentTimeMillis() - scheduleStart;

    Map<String, List<String>> byNode = new LinkedHashMap<>();
    for (String id : ids) {
      InstanceOutcome<SlotGrant> grant = grants.get(id);
      if (grant.succeeded()) {
        ledger.get(id).grant = grant.value();
        byNode.computeIfAbsent(grant.value().nodeId(), node -> new ArrayList<>()).add(id);
      } else {
        ledger.fail(id, ProvisionStep.SCHEDULE, grant);
      }
    }
    log.info("{}: {} slots on {} node(s) in {} ms", who, ids.size() - ledger.failedCount(), byNode.size(), scheduleMillis);

    // The nodes work concurrently; each undoes its own failed instances.
    List<Promise<NodeTimes>> nodes = new ArrayList<>();
    for (Map.Entry<String, List<String>> node : byNode.entrySet()) {
      NodeBatch batch = new NodeBatch(node.getKey(), node.getValue(), template, ledger, who);
      nodes.add(Async.function(batch::run));
    }
    NodeTimes slowest = NodeTimes.NONE;
    for (Promise<NodeTimes> node : nodes) {
      slowest = slowest.max(node.get());
    }

    // The slots of failed instances whose node undid them (or that never reached a node).
    long undoStart = Workflow.currentTimeMillis();
    List<String> release = ledger.slotsToFree();
    if (!release.isEmpty()) {
      Workflow.newDetachedCancellationScope(() -> {
            BatchSlotActivities undo = slotStub(UNDO_TIMEOUT, SLOT_SHARE, release.size(), UNDO_TOTAL, UNDO_RETRY);
            try {
              undo.releaseSlots(release);
              release.forEach(id -> ledger.get(id).slotFreed = true);
            } catch (TemporalFailure failure) {
              log.error("{}: freeing {} slot(s) failed for good, left for the scheduler's resync: {}", who,
                  release.size(), FailureReasons.of(failure));
            }
          })
          .run();
    }
    long undoMillis = slowest.undoMillis() + (release.isEmpty() ? 0 : Workflow.currentTimeMillis() - undoStart);

    long doneAt = Workflow.currentTimeMillis();
    ProvisionStages stages =
        new ProvisionStages(
            scheduleMillis,
            slowest.vmMillis(),
            slowest.codeMillis(),
            slowest.networkMillis(),
            slowest.loadMillis(),
            undoMillis,
            doneAt - startedAt);
    ProvisionResult result = ledger.result(stages);
    log.info("{}: {} ready, {} failed{}; stages {}", who, result.ready(), result.failed(), ledger.firstReasons(), stages);
    return result;
  }

  /**
   * One node's share of the batch: its template, then VMs, code and routes concurrently, then the
   * code loaded into the guests that have all three, then the undo of the ones that failed.
   */
  private final class NodeBatch {
    private final String nodeId;
    private final List<String> ids;
    private final ColdStartRequest template;
    private final Ledger ledger;
    private final String who;
    private final String queue;

    NodeBatch(String nodeId, List<String> ids, ColdStartRequest template, Ledger ledger, String who) {
      this.nodeId = nodeId;
      this.ids = ids;
      this.template = template;
      this.ledger = ledger;
      this.who = who + " on " + nodeId;
      this.queue = NodeTaskQueues.of(nodeId);
    }

    NodeTimes run() {
      int n = ids.size();
      long vmStart = Workflow.currentTimeMillis();
      String templateId;
      try {
        templateId = templates.currentTemplate(nodeId, template.runtime());
      } catch (TemporalFailure failure) {
        // Nothing was made on the node: only the slots go back.
        log.warn("{}: no template, {} instance(s) fail: {}", who, n, FailureReasons.of(failure));
        InstanceOutcome<Void> outcome =
            InstanceOutcome.failed(null, BatchSteps.typeOf(failure), FailureReasons.of(failure), false);
        ids.forEach(id -> ledger.fail(id, ProvisionStep.TEMPLATE, outcome));
        ids.forEach(id -> ledger.get(id).nodeUndone = true);
        return new NodeTimes(Workflow.currentTimeMillis() - vmStart, 0, 0, 0, 0);
      }

      boolean boot = template.mode() == StartMode.BOOT;
      BatchInstanceActivities vms =
          stub(BatchInstanceActivities.class, boot ? BOOT_TIMEOUT : RESTORE_TIMEOUT, boot ? BOOT_SHARE : VM_SHARE, n);
      BatchCodeActivities code = stub(BatchCodeActivities.class, CODE_TIMEOUT, CODE_SHARE, n);
      BatchRouteActivities routes = stub(BatchRouteActivities.class, ROUTE_TIMEOUT, ROUTE_SHARE, n);
      Promise<Timed<Map<String, InstanceOutcome<InstanceHandle>>>> made =
          Async.function(() -> timed(vmStart, () -> BatchSteps.run(ids, pending -> boot
              ? vms.createAllByBooting(pending, templateId)
              : vms.createAllFromTemplate(pending, templateId))));
      long codeStart = Workflow.currentTimeMillis();
      Promise<Timed<Map<String, InstanceOutcome<CodeOnNode>>>> held =
          Async.function(() -> timed(codeStart, () -> BatchSteps.run(ids,
              pending -> code.ensureCodeOnNodeForAll(pending, template.tenantId(), template.codeSha256()))));
      Promise<Timed<Map<String, InstanceOutcome<Integer>>>> attached =
          Async.function(() -> timed(codeStart, () -> BatchSteps.run(ids,
              pending -> routes.attachAll(pending, template.tenantId(), template.vpcConfig()))));
      // All three settle (BatchSteps turns every failure into outcomes) before loading or undoing:
      // an attach still in flight when its detach runs would leave a route behind.
      Promise.allOf(made, held, attached).get();

      // The first failed step of each instance, in the cold start's order.
      Map<String, List<String>> byPath = new LinkedHashMap<>();
      for (String id : ids) {
        InstanceOutcome<InstanceHandle> vm = made.get().value().get(id);
        InstanceOutcome<CodeOnNode> onNode = held.get().value().get(id);
        InstanceOutcome<Integer> route = attached.get().value().get(id);
        Ledger.Entry entry = ledger.get(id);
        if (vm.succeeded()) {
          entry.handle = vm.value();
        }
        if (onNode.succeeded()) {
          entry.code = onNode.value();
        }
        if (!vm.succeeded()) {
          ledger.fail(id, ProvisionStep.VM, vm);
        } else if (!onNode.succeeded()) {
          ledger.fail(id, ProvisionStep.CODE, onNode);
        } else if (!route.succeeded()) {
          ledger.fail(id, ProvisionStep.NETWORK, route);
        } else {
          byPath.computeIfAbsent(onNode.value().path(), path -> new ArrayList<>()).add(id);
        }
      }

      // Usually one group: every instance reads the one package in place.
      long loadStart = Workflow.currentTimeMillis();
      List<Promise<Map<String, InstanceOutcome<LoadedCode>>>> loads = new ArrayList<>();
      for (Map.Entry<String, List<String>> group : byPath.entrySet()) {
        BatchInstanceActivities load = stub(BatchInstanceActivities.class, LOAD_TIMEOUT, LOAD_SHARE, group.getValue().size());
        GuestCode guest = guestCode(template, group.getKey());
        loads.add(Async.function(() -> BatchSteps.run(group.getValue(), pending -> load.loadCodeIntoAll(pending, guest))));
      }
      for (Promise<Map<String, InstanceOutcome<LoadedCode>>> loaded : loads) {
        for (InstanceOutcome<LoadedCode> outcome : loaded.get().values()) {
          if (!outcome.succeeded()) {
            ledger.fail(outcome.instanceId(), ProvisionStep.LOAD, outcome);
          }
        }
      }
      long loadMillis = byPath.isEmpty() ? 0 : Workflow.currentTimeMillis() - loadStart;

      long undoStart = Workflow.currentTimeMillis();
      List<String> failed = ids.stream().filter(id -> !ledger.get(id).ready()).toList();
      if (!failed.isEmpty()) {
        Workflow.newDetachedCancellationScope(() -> undo(failed)).run();
      }
      long undoMillis = failed.isEmpty() ? 0 : Workflow.currentTimeMillis() - undoStart;
      return new NodeTimes(made.get().millis(), held.get().millis(), attached.get().millis(), loadMillis, undoMillis);
    }

    /**
     * The cold start's saga for the failed instances, in its order: the VM goes before its routes
     * and the code it reads. Every undo tolerates what was never made, so each runs for all failed
     * instances whichever step they failed at. One that fails for good stops the rest: their slots
     * stay held for the reconciler.
     */
    private void undo(List<String> failed) {
      ActivityOptions options = undoOptions(queue, failed.size());
      try {
        Workflow.newActivityStub(BatchInstanceActivities.class, options).destroyAll(failed);
        Workflow.newActivityStub(BatchRouteActivities.class, options).detachAll(failed);
        Workflow.newActivityStub(BatchCodeActivities.class, options).releaseCodeOfAll(failed);
        failed.forEach(id -> ledger.get(id).nodeUndone = true);
        log.info("{}: undid {} failed instance(s)", who, failed.size());
      } catch (TemporalFailure failure) {
        log.error("{}: undo of {} instance(s) incomplete, left for the node's reconciler: {}", who, failed.size(),
            FailureReasons.of(failure));
      }
    }

    private <T> T stub(Class<T> type, Duration perInstance, Duration share, int n) {
      Duration startToClose = perInstance.plus(share.multipliedBy(n));
      return Workflow.newActivityStub(
          type,
          ActivityOptions.newBuilder()
              .setTaskQueue(queue)
              .setStartToCloseTimeout(startToClose)
              .setHeartbeatTimeout(HEARTBEAT_TIMEOUT)
              // Bounds the wait for a node that stopped polling its queue, across all attempts.
              .setScheduleToCloseTimeout(startToClose.multipliedBy(STEP_RETRY.getMaximumAttempts()).plusSeconds(5))
              .setRetryOptions(STEP_RETRY)
              // A cancelled batch waits for its in-flight steps to end before undoing them.
              .setCancellationType(ActivityCancellationType.WAIT_CANCELLATION_COMPLETED)
              .build());
    }
  }

  private static ActivityOptions undoOptions(String queue, int n) {
    return ActivityOptions.newBuilder()
        .setTaskQueue(queue)
        .setStartToCloseTimeout(UNDO_TIMEOUT.plus(UNDO_SHARE.multipliedBy(n)))
        .setHeartbeatTimeout(HEARTBEAT_TIMEOUT)
        .setScheduleToCloseTimeout(UNDO_TOTAL.plus(UNDO_SHARE.multipliedBy(n)))
        .setRetryOptions(UNDO_RETRY)
        .build();
  }

  /** Slot calls are local: they run in the workflow's own task on this worker, as the cold start's. */
  private static BatchSlotActivities slotStub(
      Duration perCall, Duration share, int n, Duration scheduleToClose, RetryOptions retry) {
    Duration startToClose = perCall.plus(share.multipliedBy(n));
    return Workflow.newLocalActivityStub(
        BatchSlotActivities.class,
        LocalActivityOptions.newBuilder()
            .setStartToCloseTimeout(startToClose)
            .setScheduleToCloseTimeout(scheduleToClose.plus(share.multipliedBy(n)))
            .setRetryOptions(retry)
            .build());
  }

  private static GuestCode guestCode(ColdStartRequest template, String codePath) {
    return new GuestCode(
        template.runtime(),
        template.handler(),
        codePath,
        template.codeSha256(),
        template.functionName(),
        template.version(),
        template.memoryMb(),
        template.environment());
  }

  private static List<String> validated(ProvisionRequest request) {
    if (request == null || request.template() == null) {
      throw ApplicationFailure.newNonRetryableFailure("a provisioning request needs a template", INVALID_REQUEST);
    }
    List<String> ids = request.instanceIds();
    if (ids == null || ids.isEmpty() || ids.size() > MAX_INSTANCES) {
      throw ApplicationFailure.newNonRetryableFailure(
          "a provisioning batch has 1 to " + MAX_INSTANCES + " instances, not " + (ids == null ? 0 : ids.size())
              + "; more instances are several batches",
          INVALID_REQUEST);
    }
    Set<String> seen = new HashSet<>();
    for (String id : ids) {
      if (id == null || id.isBlank() || !seen.add(id)) {
        throw ApplicationFailure.newNonRetryableFailure(
            "instance id '" + id + "' is blank or given twice", INVALID_REQUEST);
      }
    }
    return List.copyOf(ids);
  }

  private static String describe(ColdStartRequest template, int count) {
    return count + " instance(s) of tenant " + template.tenantId() + " function " + template.functionName() + " ("
        + template.functionId() + ") v" + template.version();
  }

  /** A node's stage times; the batch reports the slowest node's. */
  private record NodeTimes(long vmMillis, long codeMillis, long networkMillis, long loadMillis, long undoMillis) {
    static final NodeTimes NONE = new NodeTimes(0, 0, 0, 0, 0);

    NodeTimes max(NodeTimes other) {
      return new NodeTimes(
          Math.max(vmMillis, other.vmMillis),
          Math.max(codeMillis, other.codeMillis),
          Math.max(networkMillis, other.networkMillis),
          Math.max(loadMillis, other.loadMillis),
          Math.max(undoMillis, other.undoMillis));
    }
  }

  private record Timed<T>(T value, long millis) {}

  private static <T> Timed<T> timed(long start, Functions.Func<T> step) {
    T value = step.apply();
    return new Timed<>(value, Workflow.currentTimeMillis() - start);
  }

  /** What the batch knows of each instance, in request order. Workflow state: deterministic. */
  private static final class Ledger {
    private final Map<String, Entry> entries = new LinkedHashMap<>();

    static final class Entry {
      final String instanceId;
      SlotGrant grant;
      InstanceHandle handle;
      CodeOnNode code;
      ProvisionStep failedStep;
      String failureType;
      String failure;
      /** The node's undo completed (or nothing was made on a node). */
      boolean nodeUndone;
      boolean slotFreed;

      Entry(String instanceId) {
        this.instanceId = instanceId;
      }

      boolean ready() {
        return failedStep == null;
      }
    }

    Ledger(List<String> ids) {
      ids.forEach(id -> entries.put(id, new Entry(id)));
    }

    Entry get(String id) {
      return entries.get(id);
    }

    /** Records the instance's first failure; later ones (of the undo path) don't replace it. */
    void fail(String id, ProvisionStep step, InstanceOutcome<?> outcome) {
      Entry entry = entries.get(id);
      if (entry.failedStep == null) {
        entry.failedStep = step;
        entry.failureType = outcome.failureType();
        entry.failure = outcome.failureMessage();
      }
      if (step == ProvisionStep.SCHEDULE) {
        entry.nodeUndone = true; // nothing was made on any node
      }
    }

    int failedCount() {
      return (int) entries.values().stream().filter(e -> !e.ready()).count();
    }

    /**
     * Failed instances whose slot may be freed: nothing of theirs is left on a node. A failed
     * reserve is freed too (release is idempotent and tolerates an instance holding nothing).
     */
    List<String> slotsToFree() {
      return entries.values().stream().filter(e -> !e.ready() && e.nodeUndone).map(e -> e.instanceId).toList();
    }

    ProvisionResult result(ProvisionStages stages) {
      List<ProvisionedInstance> instances = new ArrayList<>(entries.size());
      int ready = 0;
      for (Entry e : entries.values()) {
        boolean ok = e.ready();
        ready += ok ? 1 : 0;
        instances.add(
            new ProvisionedInstance(
                e.instanceId,
                e.grant == null ? null : e.grant.nodeId(),
                e.grant == null ? null : e.grant.slotId(),
                ok && e.handle != null ? e.handle.agentSocket() : null,
                ok && e.code != null ? e.code.source() : null,
                e.failedStep,
                e.failureType,
                e.failure,
                !ok && e.nodeUndone && e.slotFreed));
      }
      return new ProvisionResult(instances, ready, entries.size() - ready, stages);
    }

    /** Up to three distinct failure reasons, for the log line. */
    String firstReasons() {
      List<String> reasons = new ArrayList<>();
      for (Entry e : entries.values()) {
        if (!e.ready()) {
          String reason = e.failedStep + " " + e.failureType + ": " + e.failure;
          if (!reasons.contains(reason)) {
            reasons.add(reason);
            if (reasons.size() == 3) {
              break;
            }
          }
        }
      }
      return reasons.isEmpty() ? "" : " (" + String.join("; ", reasons) + ")";
    }
  }
}

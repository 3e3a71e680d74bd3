package dev.faaster.workflows.coldstart;

import dev.faaster.workflows.InstanceOutcome;
import dev.faaster.workflows.code.BatchCodeActivities;
import dev.faaster.workflows.code.CodeOnNode;
import dev.faaster.workflows.instance.BatchInstanceActivities;
import dev.faaster.workflows.instance.GuestCode;
import dev.faaster.workflows.instance.InstanceHandle;
import dev.faaster.workflows.instance.LoadedCode;
import dev.faaster.workflows.route.BatchRouteActivities;
import dev.faaster.workflows.schedule.BatchSlotActivities;
import dev.faaster.workflows.schedule.SlotGrant;
import io.temporal.failure.ApplicationFailure;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;

/**
 * Hand-written fakes of the batch activities: a control plane with a fixed number of free slots
 * spread over nodes, and nodes whose steps succeed unless an instance has a fault for that step.
 * Every call is written to one shared log, so a test reads what ran, where, for whom and in which
 * order. Faults answer like the node's BatchRunner: an instance's failure is its outcome, not the
 * call's.
 */
final class FakeBatchNode {

  /** One batch call: the step (the activity method), the node (null for the control plane), the ids. */
  record Call(String step, String node, List<String> ids) {}

  /** The log shared by the slots and every node of one test. */
  static final class Log {
    private final List<Call> calls = Collections.synchronizedList(new ArrayList<>());
    private final Map<String, IntFunction<RuntimeException>> faults = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> attempts = new ConcurrentHashMap<>();

    List<Call> calls() {
      synchronized (calls) {
        return List.copyOf(calls);
      }
    }

    List<Call> calls(String step) {
      return calls().stream().filter(c -> c.step().equals(step)).toList();
    }

    /** The ids of every call of {@code step}, in call order. */
    List<String> ids(String step) {
      return calls(step).stream().flatMap(c -> c.ids().stream()).toList();
    }

    List<String> steps() {
      return calls().stream().map(Call::step).toList();
    }

    /** {@code step} fails for {@code instanceId} on every attempt. */
    void failAlways(String step, String instanceId, RuntimeException failure) {
      faults.put(step + "/" + instanceId, attempt -> failure);
    }

    /** {@code step} fails for {@code instanceId} on its first {@code times} attempts, then succeeds. */
    void failTimes(String step, String instanceId, int times, RuntimeException failure) {
      faults.put(step + "/" + instanceId, attempt -> attempt <= times ? failure : null);
    }

    void record(String step, String node, List<String> ids) {
      calls.add(new Call(step, node, List.copyOf(ids)));
    }

    /** The instance's failure at this attempt of {@code step}, or null. */
    RuntimeException fault(String step, String instanceId) {
      IntFunction<RuntimeException> fault = faults.get(step + "/" + instanceId);
      if (fault == null) {
        return null;
      }
      int attempt = attempts.computeIfAbsent(step + "/" + instanceId, k -> new AtomicInteger()).incrementAndGet();
      return fault.apply(attempt);
    }

    /** Each instance's outcome: {@code value} unless it has a fault (then as the node's BatchRunner answers). */
    <T> List<InstanceOutcome<T>> each(String step, String node, List<String> ids, java.util.function.Function<String, T> value) {
      record(step, node, ids);
      List<InstanceOutcome<T>> outcomes = new ArrayList<>();
      for (String id : ids) {
        RuntimeException failure = fault(step, id);
        if (failure instanceof ApplicationFailure application) {
          outcomes.add(InstanceOutcome.failed(id, application.getType(), application.getOriginalMessage(),
              !application.isNonRetryable()));
        } else if (failure != null) {
          outcomes.add(InstanceOutcome.failed(id, failure.getClass().getSimpleName(), failure.getMessage(), true));
        } else {
          outcomes.add(InstanceOutcome.ok(id, value.apply(id)));
        }
      }
      return outcomes;
    }

    /** An undo: all or the call fails (the node's BatchRunner.all). */
    void all(String step, String node, List<String> ids) {
      record(step, node, ids);
      for (String id : ids) {
        RuntimeException failure = fault(step, id);
        if (failure != null) {
          throw failure;
        }
      }
    }
  }

  /**
   * The control plane's slots: {@code free} slots, given out in request order, the i-th free slot on
   * {@code nodes[i % nodes.length]}; past them, {@link ColdStartFailureTypes#NO_CAPACITY}.
   */
  static final class Slots implements BatchSlotActivities {
    private final Log log;
    private final String[] nodes;
    private final AtomicInteger free;
    private final AtomicInteger next = new AtomicInteger();
    private final Map<String, SlotGrant> held = new ConcurrentHashMap<>();

    Slots(Log log, int free, String... nodes) {
      this.log = log;
      this.nodes = nodes;
      this.free = new AtomicInteger(free);
    }

    @Override
    public List<InstanceOutcome<SlotGrant>> reserveSlots(List<String> instanceIds, int memoryMb) {
      log.record("reserveSlots", null, instanceIds);
      List<InstanceOutcome<SlotGrant>> outcomes = new ArrayList<>();
      for (String id : instanceIds) {
        SlotGrant grant = held.get(id);
        if (grant == null && free.getAndDecrement() > 0) {
          int i = next.getAndIncrement();
          grant = new SlotGrant("slot-" + i, nodes[i % nodes.length], 256);
          held.put(id, grant);
        }
        outcomes.add(grant != null
            ? InstanceOutcome.ok(id, grant)
            : InstanceOutcome.failed(id, ColdStartFailureTypes.NO_CAPACITY, "no free 256 MiB slot", false));
      }
      return outcomes;
    }

    @Override
    public void releaseSlots(List<String> instanceIds) {
      log.all("releaseSlots", null, instanceIds);
      instanceIds.forEach(held::remove);
    }

    int held() {
      return held.size();
    }
  }

  private final String nodeId;
  private final Log log;

  FakeBatchNode(String nodeId, Log log) {
    this.nodeId = nodeId;
    this.log = log;
  }

  BatchInstanceActivities instances() {
    return new BatchInstanceActivities() {
      @Override
      public List<InstanceOutcome<InstanceHandle>> createAllFromTemplate(List<String> instanceIds, String templateId) {
        return log.each("createAllFromTemplate", nodeId, instanceIds, id -> handle(id));
      }

      @Override
      public List<InstanceOutcome<InstanceHandle>> createAllByBooting(List<String> instanceIds, String templateId) {
        return log.each("createAllByBooting", nodeId, instanceIds, id -> handle(id));
      }

      @Override
      public List<InstanceOutcome<LoadedCode>> loadCodeIntoAll(List<String> instanceIds, GuestCode code) {
        return log.each("loadCodeIntoAll", nodeId, instanceIds, id -> new LoadedCode(3, 12_288, 30));
      }

      @Override
      public void destroyAll(List<String> instanceIds) {
        log.all("destroyAll", nodeId, instanceIds);
      }
    };
  }

  BatchCodeActivities code() {
    return new BatchCodeActivities() {
      @Override
      public List<InstanceOutcome<CodeOnNode>> ensureCodeOnNodeForAll(List<String> instanceIds, String tenantId,
          String sha256) {
        return log.each("ensureCodeOnNodeForAll", nodeId, instanceIds,
            id -> new CodeOnNode("/var/cache/faaster/l1/" + sha256, 4_096, "l1", 1));
      }

      @Override
      public void releaseCodeOfAll(List<String> instanceIds) {
        log.all("releaseCodeOfAll", nodeId, instanceIds);
      }
    };
  }

  BatchRouteActivities routes() {
    return new BatchRouteActivities() {
      @Override
      public List<InstanceOutcome<Integer>> attachAll(List<String> instanceIds, String tenantId, String vpcConfig) {
        return log.each("attachAll", nodeId, instanceIds, id -> 0);
      }

      @Override
      public void detachAll(List<String> instanceIds) {
        log.all("detachAll", nodeId, instanceIds);
      }
    };
  }

  private InstanceHandle handle(String instanceId) {
    return new InstanceHandle(instanceId, nodeId, "faaster-" + instanceId, "uuid-" + instanceId, "52:54:00:00:00:01",
        "h-" + instanceId, "/run/faaster/agents/" + instanceId + ".sock", 40, true);
  }
}

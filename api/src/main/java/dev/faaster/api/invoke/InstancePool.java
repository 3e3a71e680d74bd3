package dev.faaster.api.invoke;

import dev.faaster.workflows.coldstart.ColdStartResult;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The instances of one function version. Each has {@code capacity} leases: an invocation holds
 * one while it runs or waits for the instance to start, so a starting instance is joined only by
 * as many requests as it will be able to serve.
 */
final class InstancePool {

  /** How an invocation got its instance. */
  enum Kind {
    /** A ready instance with a free lease. */
    WARM,
    /** An instance already starting, which will have a lease for it. */
    JOINED,
    /** A new instance: the caller must start it. */
    NEW
  }

  record Lease(PooledInstance instance, Kind kind) {}

  private final int capacity;
  private final List<PooledInstance> instances = new ArrayList<>();

  InstancePool(int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("an instance runs at least one invocation at a time");
    }
    this.capacity = capacity;
  }

  /** A lease on a ready instance, else on a starting one with room, else on a new instance. */
  synchronized Lease acquire(String newInstanceId, Instant now) {
    PooledInstance starting = null;
    for (PooledInstance instance : instances) {
      if (instance.leases >= capacity) {
        continue;
      }
      if (instance.isReady()) {
        instance.leases++;
        return new Lease(instance, Kind.WARM);
      }
      if (starting == null) {
        starting = instance;
      }
    }
    if (starting != null) {
      starting.leases++;
      return new Lease(starting, Kind.JOINED);
    }
    PooledInstance created = new PooledInstance(newInstanceId, now);
    created.leases = 1;
    instances.add(created);
    return new Lease(created, Kind.NEW);
  }

  /**
   * Its cold start finished: the instance serves warm invocations from now on.
   *
   * @return false when it was taken out of the pool while starting (it must be retired now)
   */
  synchronized boolean ready(PooledInstance instance, ColdStartResult result, Instant now) {
    instance.started = result;
    instance.lastUsed = now;
    return !instance.retired;
  }

  /** Gives a lease back; the instance stays (unless retired meanwhile). */
  synchronized void release(PooledInstance instance, Instant now) {
    instance.leases = Math.max(0, instance.leases - 1);
    instance.lastUsed = now;
  }

  /**
   * Takes the instance out of the pool for good.
   *
   * @return whether this call removed it (false: already retired)
   */
  synchronized boolean remove(PooledInstance instance) {
    if (instance.retired) {
      return false;
    }
    instance.retired = true;
    instances.remove(instance);
    return true;
  }

  /** Removes and returns the instances the policy says to retire. */
  synchronized List<PooledInstance> removeIdle(IdlePolicy policy, Instant now) {
    List<PooledInstance> idle = new ArrayList<>();
    for (PooledInstance instance : List.copyOf(instances)) {
      if (policy.shouldRetire(instance.leases, instance.isReady(), instance.lastUsed, now)) {
        instance.retired = true;
        instances.remove(instance);
        idle.add(instance);
      }
    }
    return idle;
  }

  /** The ready instances no invocation holds now (a snapshot: one may be leased right after). */
  synchronized List<PooledInstance> idleReady() {
    return instances.stream().filter(i -> i.isReady() && i.leases == 0 && !i.retired).toList();
  }

  /** Removes and returns every instance. */
  synchronized List<PooledInstance> removeAll() {
    List<PooledInstance> all = List.copyOf(instances);
    all.forEach(instance -> instance.retired = true);
    instances.clear();
    return all;
  }

  synchronized Optional<ColdStartResult> started(String instanceId) {
    return instances.stream().filter(i -> i.id.equals(instanceId) && i.isReady()).map(i -> i.started).findFirst();
  }

  synchronized int size() {
    return instances.size();
  }

  synchronized List<String> ids() {
    return instances.stream().map(i -> i.id).toList();
  }
}

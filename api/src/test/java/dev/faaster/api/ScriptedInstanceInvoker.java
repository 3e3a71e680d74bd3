package dev.faaster.api;

import dev.faaster.api.invoke.InstanceInvoker;
import dev.faaster.api.invoke.InvocationOutcome;
import dev.faaster.workflows.coldstart.ColdStartResult;
import io.micronaut.context.annotation.Replaces;
import io.micronaut.context.annotation.Requires;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Stands in for the guest agents: answers each invocation with its event (an echo), or with the
 * outcome a test queued; a test may make invocations wait until it lets them go, or hang.
 */
@Singleton
@Replaces(InstanceInvoker.class)
@Requires(property = "spec.name", value = RecordingDeployWorkflowStarter.SPEC)
public class ScriptedInstanceInvoker implements InstanceInvoker {

  /** One call of {@link #invoke}. */
  public record Call(String instanceId, byte[] event, Duration timeout, String invocationId) {}

  private final List<Call> calls = new CopyOnWriteArrayList<>();
  private final List<String> discarded = new CopyOnWriteArrayList<>();
  private final Queue<InvocationOutcome> outcomes = new ConcurrentLinkedQueue<>();
  private volatile CountDownLatch gate = new CountDownLatch(0);
  private volatile RuntimeException failure;

  @Override
  public InvocationOutcome invoke(ColdStartResult instance, byte[] event, Duration timeout, String invocationId) {
    calls.add(new Call(instance.instanceId(), event, timeout, invocationId));
    try {
      if (!gate.await(60, TimeUnit.SECONDS)) {
        throw new IllegalStateException("the test never opened the gate");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
    RuntimeException fail = failure;
    if (fail != null) {
      failure = null;
      throw fail;
    }
    InvocationOutcome next = outcomes.poll();
    return next != null ? next : InvocationOutcome.ok(event, 1.5);
  }

  /** Instances whose guest the test declared dead: they fail the health check. */
  private final java.util.Set<String> dead = java.util.concurrent.ConcurrentHashMap.newKeySet();
  private final List<String> checked = new CopyOnWriteArrayList<>();

  @Override
  public boolean healthy(ColdStartResult instance, Duration timeout) {
    checked.add(instance.instanceId());
    return !dead.contains(instance.instanceId());
  }

  /** The instance's guest died: health checks find it so. */
  public void kill(String instanceId) {
    dead.add(instanceId);
  }

  /** Instances health-checked, in order. */
  public List<String> checked() {
    return List.copyOf(checked);
  }

  @Override
  public void discard(String instanceId) {
    discarded.add(instanceId);
  }

  /** The next invocation ends with {@code outcome}. */
  public void nextOutcome(InvocationOutcome outcome) {
    outcomes.add(outcome);
  }

  /** The next invocation throws {@code failure} (an invoker broken in a way it didn't foresee). */
  public void failNext(RuntimeException failure) {
    this.failure = failure;
  }

  /** Invocations wait until {@link #openGate}. */
  public void closeGate() {
    gate = new CountDownLatch(1);
  }

  public void openGate() {
    gate.countDown();
  }

  public List<Call> calls() {
    return List.copyOf(calls);
  }

  public List<String> discarded() {
    return List.copyOf(discarded);
  }

  public void reset() {
    openGate();
    outcomes.clear();
    failure = null;
  }
}

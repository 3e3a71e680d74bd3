package dev.faaster.api;

import dev.faaster.api.invoke.ColdStartFailedException;
import dev.faaster.api.invoke.ColdStarter;
import dev.faaster.workflows.coldstart.ColdStartRequest;
import dev.faaster.workflows.coldstart.ColdStartResult;
import dev.faaster.workflows.coldstart.ColdStartStages;
import io.micronaut.context.annotation.Replaces;
import io.micronaut.context.annotation.Requires;
import jakarta.inject.Singleton;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Stands in for the cold start workflow: records every start and answers with a ready instance
 * at once, or, when a test holds starts, when the test releases them; a test may make the next
 * start fail.
 */
@Singleton
@Replaces(ColdStarter.class)
@Requires(property = "spec.name", value = RecordingDeployWorkflowStarter.SPEC)
public class RecordingColdStarter implements ColdStarter {

  /** The stages every start reports. */
  public static final ColdStartStages STAGES = new ColdStartStages(2, 41, 7, 0, 12, 63);
  public static final String NODE = "node-test";

  private final List<ColdStartRequest> starts = new CopyOnWriteArrayList<>();
  private final List<String> tenantNames = new CopyOnWriteArrayList<>();
  private record Held(CompletableFuture<ColdStartResult> future, ColdStartResult result) {}

  private final Queue<Held> held = new ConcurrentLinkedQueue<>();
  private final Queue<ColdStartFailedException> failures = new ConcurrentLinkedQueue<>();
  private volatile boolean hold;

  @Override
  public CompletionStage<ColdStartResult> start(ColdStartRequest request, String tenantName) {
    starts.add(request);
    tenantNames.add(tenantName);
    ColdStartFailedException failure = failures.poll();
    if (failure != null) {
      return CompletableFuture.failedFuture(failure);
    }
    ColdStartResult result = result(request);
    if (hold) {
      CompletableFuture<ColdStartResult> pending = new CompletableFuture<>();
      held.add(new Held(pending, result));
      return pending;
    }
    return CompletableFuture.completedFuture(result);
  }

  public static ColdStartResult result(ColdStartRequest request) {
    return new ColdStartResult(
        request.instanceId(), NODE, "slot-" + request.instanceId(), "/run/test/" + request.instanceId() + ".sock",
        request.mode(), "l1", STAGES);
  }

  /** From now on, starts complete only when {@link #releaseHeld} is called. */
  public void hold() {
    hold = true;
  }

  /** Completes every held start; later starts complete at once again. */
  public int releaseHeld() {
    hold = false;
    List<Held> release = new ArrayList<>();
    Held next;
    while ((next = held.poll()) != null) {
      release.add(next);
    }
    release.forEach(h -> h.future().complete(h.result()));
    return release.size();
  }

  /** The next start fails with {@code type} (a ColdStartFailureTypes value, or null). */
  public void failNext(String type) {
    failures.add(new ColdStartFailedException(type, "injected failure " + type, null));
  }

  public List<ColdStartRequest> starts() {
    return List.copyOf(starts);
  }

  public List<String> tenantNames() {
    return List.copyOf(tenantNames);
  }

  public void reset() {
    releaseHeld();
    failures.clear();
  }
}

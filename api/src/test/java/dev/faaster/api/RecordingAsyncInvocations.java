package dev.faaster.api;

import dev.faaster.api.invoke.AsyncInvocationState;
import dev.faaster.api.invoke.AsyncInvocations;
import dev.faaster.workflows.invoke.AsyncInvocationRequest;
import dev.faaster.workflows.invoke.AsyncInvocationResult;
import io.micronaut.context.annotation.Replaces;
import io.micronaut.context.annotation.Requires;
import jakarta.inject.Singleton;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/** Accepted events kept in memory instead of Temporal; a test ends them with {@link #finish}. */
@Singleton
@Replaces(AsyncInvocations.class)
@Requires(property = "spec.name", value = RecordingDeployWorkflowStarter.SPEC)
public class RecordingAsyncInvocations implements AsyncInvocations {

  private final List<AsyncInvocationRequest> started = new CopyOnWriteArrayList<>();
  private final Map<String, AsyncInvocationState> states = new ConcurrentHashMap<>();

  @Override
  public void start(AsyncInvocationRequest request, String tenantName) {
    started.add(request);
    states.put(request.invocationId(), new AsyncInvocationState(request.tenantId(), request.functionId(),
        request.functionName(), request.version(), true, null, null));
  }

  @Override
  public Optional<AsyncInvocationState> find(String invocationId) {
    return Optional.ofNullable(states.get(invocationId));
  }

  /** Ends the event with {@code result} (as its workflow would). */
  public void finish(String invocationId, AsyncInvocationResult result) {
    states.computeIfPresent(invocationId, (id, s) -> new AsyncInvocationState(s.tenantId(), s.functionId(),
        s.functionName(), s.version(), false, result, null));
  }

  /** Ends the event's workflow abnormally ({@code how}: e.g. TERMINATED). */
  public void end(String invocationId, String how) {
    states.computeIfPresent(invocationId, (id, s) -> new AsyncInvocationState(s.tenantId(), s.functionId(),
        s.functionName(), s.version(), false, null, how));
  }

  public List<AsyncInvocationRequest> started() {
    return List.copyOf(started);
  }

  public Optional<AsyncInvocationRequest> request(String invocationId) {
    return started.stream().filter(r -> r.invocationId().equals(invocationId)).findFirst();
  }
}

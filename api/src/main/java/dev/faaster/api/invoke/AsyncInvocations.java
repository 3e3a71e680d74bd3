package dev.faaster.api.invoke;

import dev.faaster.workflows.invoke.AsyncInvocationRequest;
import java.util.Optional;

/** Where asynchronous invocations run and are remembered (Temporal; a double in HTTP tests). */
public interface AsyncInvocations {

  /**
   * Starts running the accepted event.
   *
   * @throws dev.faaster.api.error.ApiException 503 when it can't be accepted now
   */
  void start(AsyncInvocationRequest request, String tenantName);

  /** The invocation with this id, whoever sent it; empty when there is none. */
  Optional<AsyncInvocationState> find(String invocationId);
}

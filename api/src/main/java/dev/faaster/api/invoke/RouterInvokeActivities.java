package dev.faaster.api.invoke;

import dev.faaster.api.ApiRole;
import dev.faaster.api.error.ApiException;
import dev.faaster.workflows.invoke.AsyncInvocationFailureTypes;
import dev.faaster.workflows.invoke.AsyncInvocationRequest;
import dev.faaster.workflows.invoke.InvocationAttempt;
import dev.faaster.workflows.invoke.InvokeActivities;
import io.micronaut.context.annotation.Requires;
import io.micronaut.http.HttpStatus;
import io.temporal.failure.ApplicationFailure;
import jakarta.inject.Singleton;

/**
 * The invocation step of asynchronous invocations, on this process's router: the same admission,
 * pools, cold starts and timeouts as a synchronous invocation.
 */
@Singleton
@Requires(property = "faaster.roles", pattern = ApiRole.PATTERN)
public class RouterInvokeActivities implements InvokeActivities {

  private final InvocationService invocations;
  private final InvocationRouter router;
  private final AsyncInvocationSettings settings;

  public RouterInvokeActivities(InvocationService invocations, InvocationRouter router, AsyncInvocationSettings settings) {
    this.invocations = invocations;
    this.router = router;
    this.settings = settings;
  }

  @Override
  public InvocationAttempt invoke(AsyncInvocationRequest request, int attempt) {
    InvocationResult result;
    try {
      InvocationTarget target =
          invocations.target(request.tenantId(), request.functionName(), Integer.toString(request.version()));
      if (!target.functionId().equals(request.functionId())) {
        throw gone("'" + request.functionName() + "' was deleted (a function of that name was created since).");
      }
      result = router.invoke(target, request.event());
    } catch (ApiException e) {
      if (e.status() == HttpStatus.NOT_FOUND) {
        throw gone(e.getMessage());
      }
      if (e.status() == HttpStatus.TOO_MANY_REQUESTS || e.status().getCode() >= 500) {
        // Throttled, no capacity, a node unreachable: retried by the step's policy until the event's maximum age.
        throw ApplicationFailure.newFailure(e.getMessage(), e.code());
      }
      // Any other refusal is about the event itself: no retry makes it pass.
      throw ApplicationFailure.newNonRetryableFailure(e.getMessage(), e.code());
    }
    InvocationOutcome outcome = result.outcome();
    byte[] payload = outcome.payload() == null ? new byte[0] : outcome.payload();
    boolean ok = outcome.status() == InvocationOutcome.Status.OK;
    byte[] kept = ok && payload.length <= settings.resultBytes() ? payload : null;
    return new InvocationAttempt(
        outcome.status().name(),
        kept,
        ok ? payload.length : 0,
        outcome.errorType(),
        outcome.errorMessage(),
        result.version(),
        result.instanceId());
  }

  private static ApplicationFailure gone(String message) {
    return ApplicationFailure.newNonRetryableFailure(message, AsyncInvocationFailureTypes.FUNCTION_NOT_FOUND);
  }
}

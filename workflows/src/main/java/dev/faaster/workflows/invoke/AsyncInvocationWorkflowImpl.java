package dev.faaster.workflows.invoke;

import dev.faaster.workflows.FailureReasons;
import dev.faaster.workflows.TaskQueues;
import io.temporal.activity.ActivityOptions;
import io.temporal.api.enums.v1.RetryState;
import io.temporal.common.RetryOptions;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.TimeoutFailure;
import io.temporal.workflow.Workflow;
import java.time.Duration;
import org.slf4j.Logger;

/**
 * Deterministic: the attempts and the pauses between them are here, the invocation itself is the
 * {@link InvokeActivities} step on {@link TaskQueues#INVOKE}.
 *
 * <p>Two kinds of retry, as Lambda has for events: a function outcome that is not a success (its
 * error, its timeout, its guest crashing) is retried by this workflow up to the request's attempts,
 * 1 s then 2 s apart (Lambda waits minutes; our events are interactive-scale); a platform refusal
 * (429 beyond the concurrency limit, no capacity) is retried by the step's own retry policy, with
 * back-off up to a minute, until the event's maximum age.
 */
public class AsyncInvocationWorkflowImpl implements AsyncInvocationWorkflow {

  private static final Logger log = Workflow.getLogger(AsyncInvocationWorkflowImpl.class);

  /** The pause before the second attempt; it doubles for each one after. */
  static final Duration FIRST_RETRY_DELAY = Duration.ofSeconds(1);

  @Override
  public AsyncInvocationResult invoke(AsyncInvocationRequest request) {
    // The event's age counts from its acceptance, across attempts and the pauses between them.
    long expiresAt = Workflow.currentTimeMillis() + request.maxEventAge().toMillis();
    InvocationAttempt last = null;
    int attempts = 0;
    for (int attempt = 1; attempt <= Math.max(1, request.maxAttempts()); attempt++) {
      if (attempt > 1) {
        Workflow.sleep(FIRST_RETRY_DELAY.multipliedBy(1L << Math.min(attempt - 2, 10)));
      }
      long left = expiresAt - Workflow.currentTimeMillis();
      if (left <= 0) {
        return expired(request, attempts, last);
      }
      InvokeActivities step = Workflow.newActivityStub(InvokeActivities.class, stepOptions(request, Duration.ofMillis(left)));
      try {
        last = step.invoke(request, attempt);
      } catch (ActivityFailure failure) {
        return refused(request, attempts, last, failure);
      }
      attempts = attempt;
      if (last.succeeded()) {
        log.info("{}: succeeded on attempt {} (instance {})", describe(request), attempt, last.instanceId());
        return new AsyncInvocationResult(AsyncInvocationResult.SUCCEEDED, attempts, last, null, null);
      }
      log.info("{}: attempt {} ended {}: {}", describe(request), attempt, last.status(), last.errorMessage());
    }
    return new AsyncInvocationResult(
        AsyncInvocationResult.FAILED,
        attempts,
        last,
        null,
        "Every attempt (" + attempts + ") failed; the last ended " + last.status() + ".");
  }

  /** The event could not be run (any more): the function is gone, or the platform refused it until it expired. */
  private static AsyncInvocationResult refused(
      AsyncInvocationRequest request, int attempts, InvocationAttempt last, ActivityFailure failure) {
    if (failure.getCause() instanceof ApplicationFailure application
        && AsyncInvocationFailureTypes.FUNCTION_NOT_FOUND.equals(application.getType())) {
      log.warn("{}: its function is gone: {}", describe(request), application.getOriginalMessage());
      return new AsyncInvocationResult(AsyncInvocationResult.FAILED, attempts, last,
          AsyncInvocationFailureTypes.FUNCTION_NOT_FOUND, application.getOriginalMessage());
    }
    // Out of time: the step's schedule-to-close (the event's age) ran out while it was retried.
    boolean outOfTime = failure.getCause() instanceof TimeoutFailure
        || failure.getRetryState() == RetryState.RETRY_STATE_TIMEOUT;
    String type = outOfTime ? AsyncInvocationFailureTypes.EVENT_EXPIRED : AsyncInvocationFailureTypes.STEP_FAILED;
    String message = outOfTime
        ? "The platform refused the event (throttled, out of capacity or unreachable) until it was "
            + age(request.maxEventAge()) + " old: " + FailureReasons.of(failure)
        : "The invocation step failed for good: " + FailureReasons.of(failure);
    log.warn("{}: failed without a function outcome ({}): {}", describe(request), type, message);
    return new AsyncInvocationResult(AsyncInvocationResult.FAILED, attempts, last, type, message);
  }

  private static AsyncInvocationResult expired(AsyncInvocationRequest request, int attempts, InvocationAttempt last) {
    String message = "The event reached its maximum age (" + age(request.maxEventAge()) + ") before attempt "
        + (attempts + 1) + " could run.";
    log.warn("{}: {}", describe(request), message);
    return new AsyncInvocationResult(
        AsyncInvocationResult.FAILED, attempts, last, AsyncInvocationFailureTypes.EVENT_EXPIRED, message);
  }

  private static String age(Duration age) {
    return age.toMinutes() >= 1 ? age.toMinutes() + " minutes" : age.toSeconds() + " seconds";
  }

  static ActivityOptions stepOptions(AsyncInvocationRequest request, Duration left) {
    return ActivityOptions.newBuilder()
        .setTaskQueue(TaskQueues.INVOKE)
        .setStartToCloseTimeout(request.attemptTimeout())
        .setScheduleToCloseTimeout(left)
        .setRetryOptions(
            RetryOptions.newBuilder()
                .setInitialInterval(Duration.ofSeconds(1))
                .setBackoffCoefficient(2.0)
                .setMaximumInterval(Duration.ofMinutes(1))
                .setDoNotRetry(AsyncInvocationFailureTypes.FUNCTION_NOT_FOUND)
                .build())
        .build();
  }

  private static String describe(AsyncInvocationRequest request) {
    return "event " + request.invocationId() + " of tenant " + request.tenantId() + " function "
        + request.functionName() + " (" + request.functionId() + ") v" + request.version();
  }
}

package dev.faaster.workflows.invoke;

import dev.faaster.workflows.FailureReasons;
import dev.faaster.workflows.TaskQueues;
import io.temporal.activity.ActivityOptions;
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
    InvokeActivities step = Workflow.newActivityStub(InvokeActivities.class, stepOptions(request));
    InvocationAttempt last = null;
    int attempts = 0;
    for (int attempt = 1; attempt <= Math.max(1, request.maxAttempts()); attempt++) {
      if (attempt > 1) {
        Workflow.sleep(FIRST_RETRY_DELAY.multipliedBy(1L << Math.min(attempt - 2, 10)));
      }
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
    String type = AsyncInvocationFailureTypes.EVENT_EXPIRED;
    String message =
        "The platform refused the event (throttled or out of capacity) until it was "
            + request.maxEventAge().toMinutes() + " minutes old: " + FailureReasons.of(failure);
    if (failure.getCause() instanceof ApplicationFailure application
        && AsyncInvocationFailureTypes.FUNCTION_NOT_FOUND.equals(application.getType())) {
      type = AsyncInvocationFailureTypes.FUNCTION_NOT_FOUND;
      message = application.getOriginalMessage();
    } else if (!(failure.getCause() instanceof TimeoutFailure)) {
      message = "The invocation step failed: " + FailureReasons.of(failure);
    }
    log.warn("{}: failed without a function outcome ({}): {}", describe(request), type, message);
    return new AsyncInvocationResult(AsyncInvocationResult.FAILED, attempts, last, type, message);
  }

  static ActivityOptions stepOptions(AsyncInvocationRequest request) {
    return ActivityOptions.newBuilder()
        .setTaskQueue(TaskQueues.INVOKE)
        .setStartToCloseTimeout(request.attemptTimeout())
        .setScheduleToCloseTimeout(request.maxEventAge())
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

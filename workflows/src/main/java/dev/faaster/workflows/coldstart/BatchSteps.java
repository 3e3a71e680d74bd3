package dev.faaster.workflows.coldstart;

import dev.faaster.workflows.FailureReasons;
import dev.faaster.workflows.InstanceOutcome;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.CanceledFailure;
import io.temporal.failure.TemporalFailure;
import io.temporal.failure.TimeoutFailure;
import io.temporal.workflow.Functions;
import io.temporal.workflow.Workflow;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Runs one batch step for many instances with a cold start's per-instance retry policy ({@link
 * ColdStartWorkflowImpl#STEP_RETRY}): instances whose outcome is a retryable failure are asked again,
 * alone, after the policy's back-off, up to its attempts; permanent failures (non-retryable, or a
 * type on {@link ColdStartWorkflowImpl#PERMANENT}) are final at once. A call that fails as a whole
 * (after the activity's own retries: the node is away, or the batch was cancelled) fails every
 * instance it carried. Deterministic: workflow code only.
 */
final class BatchSteps {

  private static final Set<String> PERMANENT = Set.of(ColdStartWorkflowImpl.PERMANENT);

  private BatchSteps() {}

  /**
   * Every instance's final outcome of the step, in the order of {@code instanceIds}.
   *
   * @param call the batch activity for the instances still to do
   */
  static <T> Map<String, InstanceOutcome<T>> run(
      List<String> instanceIds, Functions.Func1<List<String>, List<InstanceOutcome<T>>> call) {
    Map<String, InstanceOutcome<T>> done = new HashMap<>();
    List<String> pending = instanceIds;
    int maxAttempts = ColdStartWorkflowImpl.STEP_RETRY.getMaximumAttempts();
    for (int attempt = 1; !pending.isEmpty(); attempt++) {
      List<InstanceOutcome<T>> answered;
      try {
        answered = call.apply(pending);
      } catch (TemporalFailure failure) {
        failAll(pending, failure, done);
        break;
      }
      Map<String, InstanceOutcome<T>> byId = new HashMap<>();
      if (answered != null) {
        for (InstanceOutcome<T> outcome : answered) {
          byId.put(outcome.instanceId(), outcome);
        }
      }
      List<String> again = new ArrayList<>();
      for (String id : pending) {
        InstanceOutcome<T> outcome = byId.get(id);
        if (outcome == null) {
          outcome = InstanceOutcome.failed(id, "NoOutcome", "the batch step answered nothing for this instance", false);
        }
        if (!outcome.succeeded() && retryable(outcome) && attempt < maxAttempts) {
          again.add(id);
        } else {
          done.put(id, outcome);
        }
      }
      pending = again;
      if (!pending.isEmpty()) {
        try {
          Workflow.sleep(backoff(attempt));
        } catch (CanceledFailure cancelled) {
          failAll(pending, cancelled, done);
          break;
        }
      }
    }
    Map<String, InstanceOutcome<T>> ordered = new LinkedHashMap<>();
    for (String id : instanceIds) {
      ordered.put(id, done.get(id));
    }
    return ordered;
  }

  static boolean retryable(InstanceOutcome<?> outcome) {
    return outcome.retryable() && !PERMANENT.contains(outcome.failureType());
  }

  /** The back-off before attempt {@code attempt + 1}: the step retry policy's. */
  static Duration backoff(int attempt) {
    var policy = ColdStartWorkflowImpl.STEP_RETRY;
    double millis = policy.getInitialInterval().toMillis() * Math.pow(policy.getBackoffCoefficient(), attempt - 1);
    return Duration.ofMillis((long) Math.min(millis, policy.getMaximumInterval().toMillis()));
  }

  private static <T> void failAll(List<String> ids, TemporalFailure failure, Map<String, InstanceOutcome<T>> done) {
    String type = typeOf(failure);
    String reason = FailureReasons.of(failure);
    for (String id : ids) {
      done.put(id, InstanceOutcome.failed(id, type, reason, false));
    }
  }

  /** The failure's type as the result reports it: the innermost application failure's type, else its kind. */
  static String typeOf(Throwable failure) {
    for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
      if (cause instanceof ApplicationFailure application && application.getType() != null) {
        return application.getType();
      }
    }
    for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
      if (cause instanceof TimeoutFailure) {
        return "Timeout";
      }
      if (cause instanceof CanceledFailure) {
        return "Canceled";
      }
    }
    return failure instanceof ActivityFailure && failure.getCause() != null
        ? failure.getCause().getClass().getSimpleName()
        : failure.getClass().getSimpleName();
  }
}

package dev.faaster.workflows.invoke;

import static org.assertj.core.api.Assertions.assertThat;

import dev.faaster.workflows.TaskQueues;
import io.temporal.client.WorkflowOptions;
import io.temporal.failure.ApplicationFailure;
import io.temporal.testing.TestWorkflowEnvironment;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class AsyncInvocationWorkflowTest {

  private TestWorkflowEnvironment env;
  private ScriptedStep step;

  /** Answers each attempt with the next scripted answer; records the attempts it saw. */
  static final class ScriptedStep implements InvokeActivities {
    final Deque<Supplier<InvocationAttempt>> answers = new ArrayDeque<>();
    final List<Integer> attempts = new ArrayList<>();
    final List<Long> calledAt = new ArrayList<>();
    TestWorkflowEnvironment env;

    @Override
    public synchronized InvocationAttempt invoke(AsyncInvocationRequest request, int attempt) {
      attempts.add(attempt);
      calledAt.add(env.currentTimeMillis());
      Supplier<InvocationAttempt> next = answers.poll();
      if (next == null) {
        throw new AssertionError("no answer scripted for attempt " + attempt);
      }
      return next.get();
    }
  }

  @BeforeEach
  void setUp() {
    env = TestWorkflowEnvironment.newInstance();
    env.newWorker(TaskQueues.CONTROL).registerWorkflowImplementationTypes(AsyncInvocationWorkflowImpl.class);
    step = new ScriptedStep();
    step.env = env;
    env.newWorker(TaskQueues.INVOKE).registerActivitiesImplementations(step);
    env.start();
  }

  @AfterEach
  void tearDown() {
    env.close();
  }

  private AsyncInvocationResult run(int maxAttempts) {
    AsyncInvocationRequest request =
        new AsyncInvocationRequest(
            "inv-1", "tenant-a", "fn-1", "resize", 3, "{}".getBytes(StandardCharsets.UTF_8), maxAttempts,
            Duration.ofSeconds(30), Duration.ofMinutes(10));
    return env.getWorkflowClient()
        .newWorkflowStub(
            AsyncInvocationWorkflow.class,
            WorkflowOptions.newBuilder()
                .setTaskQueue(TaskQueues.CONTROL)
                .setWorkflowId(AsyncInvocationWorkflowIds.of("inv-1"))
                .build())
        .invoke(request);
  }

  private static InvocationAttempt outcome(String status) {
    byte[] payload = ("{\"status\":\"" + status + "\"}").getBytes(StandardCharsets.UTF_8);
    return new InvocationAttempt(status, payload, payload.length, status.equals("OK") ? null : "Handled",
        status.equals("OK") ? null : "boom", 3, "instance-" + status);
  }

  @Test
  void aSuccessfulFirstAttemptIsTheResult() {
    step.answers.add(() -> outcome("OK"));

    AsyncInvocationResult result = run(3);

    assertThat(result.status()).isEqualTo(AsyncInvocationResult.SUCCEEDED);
    assertThat(result.attempts()).isEqualTo(1);
    assertThat(result.last().instanceId()).isEqualTo("instance-OK");
    assertThat(step.attempts).containsExactly(1);
  }

  @Test
  void functionErrorsAreRetriedWithAGrowingPauseThenTheLastOneIsReported() {
    step.answers.add(() -> outcome("FUNCTION_ERROR"));
    step.answers.add(() -> outcome("TIMEOUT"));
    step.answers.add(() -> outcome("CRASHED"));

    AsyncInvocationResult result = run(3);

    assertThat(result.status()).isEqualTo(AsyncInvocationResult.FAILED);
    assertThat(result.attempts()).isEqualTo(3);
    assertThat(result.last().status()).isEqualTo("CRASHED");
    assertThat(result.failureType()).isNull();
    assertThat(step.attempts).containsExactly(1, 2, 3);
    // Workflow time (the test environment skips it): 1 s before the second attempt, 2 s before the third.
    assertThat(step.calledAt.get(1) - step.calledAt.get(0)).isGreaterThanOrEqualTo(1_000);
    assertThat(step.calledAt.get(2) - step.calledAt.get(1)).isGreaterThanOrEqualTo(2_000);
  }

  @Test
  void aRetryThatSucceedsEndsTheEvent() {
    step.answers.add(() -> outcome("FUNCTION_ERROR"));
    step.answers.add(() -> outcome("OK"));

    AsyncInvocationResult result = run(3);

    assertThat(result.status()).isEqualTo(AsyncInvocationResult.SUCCEEDED);
    assertThat(result.attempts()).isEqualTo(2);
    assertThat(step.attempts).containsExactly(1, 2);
  }

  @Test
  void oneAttemptMeansNoRetry() {
    step.answers.add(() -> outcome("FUNCTION_ERROR"));

    AsyncInvocationResult result = run(1);

    assertThat(result.status()).isEqualTo(AsyncInvocationResult.FAILED);
    assertThat(step.attempts).containsExactly(1);
  }

  @Test
  void aPlatformRefusalIsRetriedByTheStepWithoutCountingAsAnAttempt() {
    step.answers.add(() -> {
      throw ApplicationFailure.newFailure("throttled", "Throttled");
    });
    step.answers.add(() -> outcome("OK"));

    AsyncInvocationResult result = run(3);

    assertThat(result.status()).isEqualTo(AsyncInvocationResult.SUCCEEDED);
    assertThat(result.attempts()).isEqualTo(1);
    // The step ran twice for the one attempt: the refusal and the run.
    assertThat(step.attempts).containsExactly(1, 1);
  }

  @Test
  void anEventThePlatformKeepsRefusingExpiresAtItsMaximumAgeCountedFromAcceptance() {
    for (int i = 0; i < 100; i++) {
      step.answers.add(() -> {
        throw ApplicationFailure.newFailure("throttled", "Throttled");
      });
    }
    long started = env.currentTimeMillis();

    AsyncInvocationResult result = run(3);

    assertThat(result.status()).isEqualTo(AsyncInvocationResult.FAILED);
    assertThat(result.failureType()).isEqualTo(AsyncInvocationFailureTypes.EVENT_EXPIRED);
    assertThat(result.attempts()).isZero();
    // The request's maximum age is 10 minutes: retried until then, not for 10 minutes per attempt.
    assertThat(env.currentTimeMillis() - started).isBetween(9 * 60_000L, 11 * 60_000L);
  }

  @Test
  void aRefusalThatNoRetryFixesEndsTheEventAtOnce() {
    step.answers.add(() -> {
      throw ApplicationFailure.newNonRetryableFailure("the event is malformed", "MALFORMED_REQUEST");
    });

    AsyncInvocationResult result = run(3);

    assertThat(result.status()).isEqualTo(AsyncInvocationResult.FAILED);
    assertThat(result.failureType()).isEqualTo(AsyncInvocationFailureTypes.STEP_FAILED);
    assertThat(result.failureMessage()).contains("malformed");
    assertThat(step.attempts).containsExactly(1);
  }

  @Test
  void aFunctionThatIsGoneEndsTheEventAtOnceWithoutRetry() {
    step.answers.add(() -> {
      throw ApplicationFailure.newNonRetryableFailure(
          "'resize' has no version 3.", AsyncInvocationFailureTypes.FUNCTION_NOT_FOUND);
    });

    AsyncInvocationResult result = run(3);

    assertThat(result.status()).isEqualTo(AsyncInvocationResult.FAILED);
    assertThat(result.failureType()).isEqualTo(AsyncInvocationFailureTypes.FUNCTION_NOT_FOUND);
    assertThat(result.failureMessage()).contains("has no version 3");
    assertThat(result.attempts()).isZero();
    assertThat(step.attempts).containsExactly(1);
  }
}

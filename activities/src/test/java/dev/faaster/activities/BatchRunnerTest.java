package dev.faaster.activities;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.faaster.workflows.InstanceOutcome;
import dev.faaster.workflows.coldstart.ColdStartFailureTypes;
import io.temporal.failure.ApplicationFailure;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class BatchRunnerTest {

  private final BatchRunner runner = new BatchRunner(4);

  @AfterEach
  void close() {
    runner.close();
  }

  private static List<String> ids(int count) {
    return IntStream.rangeClosed(1, count).mapToObj(i -> "i-" + i).toList();
  }

  @Test
  void answersEveryInstanceInOrderWithEachFailureOnItsOwn() {
    List<InstanceOutcome<String>> outcomes = runner.each(ids(6), id -> switch (id) {
      case "i-2" -> throw ApplicationFailure.newNonRetryableFailure("refused", ColdStartFailureTypes.CODE_LOAD_FAILED);
      case "i-4" -> throw ApplicationFailure.newFailure("tier down", "CodeUnavailable");
      case "i-5" -> throw new IllegalStateException("libvirt connection reset");
      default -> "vm-" + id;
    });

    assertThat(outcomes).extracting(InstanceOutcome::instanceId).containsExactlyElementsOf(ids(6));
    assertThat(outcomes.get(0)).isEqualTo(InstanceOutcome.ok("i-1", "vm-i-1"));
    assertThat(outcomes.get(1)).isEqualTo(
        InstanceOutcome.failed("i-2", ColdStartFailureTypes.CODE_LOAD_FAILED, "refused", false));
    assertThat(outcomes.get(3)).isEqualTo(InstanceOutcome.failed("i-4", "CodeUnavailable", "tier down", true));
    // Anything else: retryable, as the single activity's retry policy would have treated it.
    assertThat(outcomes.get(4))
        .isEqualTo(InstanceOutcome.failed("i-5", "IllegalStateException", "libvirt connection reset", true));
    assertThat(outcomes.get(5).succeeded()).isTrue();
  }

  @Test
  void worksOnAtMostItsParallelismAtOnce() {
    AtomicInteger running = new AtomicInteger();
    AtomicInteger most = new AtomicInteger();
    Set<String> threads = ConcurrentHashMap.newKeySet();

    runner.each(ids(40), id -> {
      int now = running.incrementAndGet();
      most.accumulateAndGet(now, Math::max);
      threads.add(Thread.currentThread().getName());
      try {
        Thread.sleep(5);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      running.decrementAndGet();
      return id;
    });

    assertThat(most.get()).isBetween(2, 4);
    assertThat(threads).allMatch(name -> name.startsWith("batch-step-"));
  }

  @Test
  void anUndoTriesEveryInstanceThenFailsNamingTheOnesThatFailed() {
    Set<String> undone = ConcurrentHashMap.newKeySet();

    ApplicationFailure thrown = catchThrowableOfType(ApplicationFailure.class, () -> runner.all(ids(5), id -> {
      if (id.equals("i-3")) {
        throw new IllegalStateException("domain busy");
      }
      undone.add(id);
    }, "destroy"));

    assertThat(undone).containsExactlyInAnyOrder("i-1", "i-2", "i-4", "i-5");
    assertThat(thrown.getType()).isEqualTo(BatchRunner.UNDO_INCOMPLETE);
    assertThat(thrown.isNonRetryable()).isFalse();
    assertThat(thrown.getOriginalMessage()).contains("destroy failed for 1 of 5", "i-3", "domain busy");
  }

  @Test
  void inTurnRunsOnTheCallingThreadInOrder() {
    String caller = Thread.currentThread().getName();
    List<InstanceOutcome<String>> outcomes = BatchRunner.inTurn(ids(3), id -> Thread.currentThread().getName());

    assertThat(outcomes).extracting(InstanceOutcome::value).containsOnly(caller);
    assertThat(outcomes).extracting(InstanceOutcome::instanceId).containsExactlyElementsOf(ids(3));
  }
}

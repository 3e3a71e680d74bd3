package dev.faaster.activities;

import dev.faaster.workflows.InstanceOutcome;
import io.micronaut.context.annotation.Value;
import io.temporal.activity.Activity;
import io.temporal.activity.ActivityExecutionContext;
import io.temporal.client.ActivityCompletionException;
import io.temporal.failure.ApplicationFailure;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a batch activity's per-instance step (the single-instance activity's own method) for each
 * instance, at most {@code parallelism} at once across all the batch calls of this process, each
 * instance's failure captured on its own. Inside a (non-local) activity it heartbeats about every
 * second while the call runs (the SDK sends at most one heartbeat per 80% of the heartbeat timeout),
 * so a worker that died, or a task the server dispatched but the worker never got, is retried after
 * the short heartbeat timeout instead of the batch's long start-to-close; an instance stuck in its
 * step is bounded by that step's own timeouts and by the start-to-close.
 */
@Singleton
public class BatchRunner implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(BatchRunner.class);

  /** Failure type of an undo that failed for some instances (retryable: the retry repeats the list). */
  public static final String UNDO_INCOMPLETE = "BatchUndoIncomplete";

  /** How often a waiting batch call heartbeats (the SDK throttles what reaches the server). */
  private static final long HEARTBEAT_EVERY_MILLIS = 1_000;

  private final int parallelism;
  private final ExecutorService executor;

  /**
   * @param parallelism instances worked on at once by this process, across all batch calls: the
   *     node's own bound (a restore and a load use the host's CPU; the single-instance path is
   *     bounded by the worker's activity slots instead)
   */
  public BatchRunner(@Value("${faaster.node.batch-parallelism:8}") int parallelism) {
    if (parallelism < 1) {
      throw new IllegalArgumentException("faaster.node.batch-parallelism must be at least 1, not " + parallelism);
    }
    this.parallelism = parallelism;
    AtomicInteger n = new AtomicInteger();
    this.executor = Executors.newFixedThreadPool(parallelism, r -> {
      Thread thread = new Thread(r, "batch-step-" + n.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    });
  }

  public int parallelism() {
    return parallelism;
  }

  /**
   * {@code step} for each instance; one outcome per instance in the order given. An {@link
   * ApplicationFailure} keeps its type and retryability; any other exception is a retryable failure
   * typed by its class (the single call's activity would have been retried).
   */
  public <T> List<InstanceOutcome<T>> each(List<String> instanceIds, Function<String, T> step) {
    return run(instanceIds, step);
  }

  /**
   * {@code undo} for each instance, all tried; if any failed, throws a retryable {@link
   * ApplicationFailure} naming them, so the activity's retry repeats the list (undos are
   * idempotent).
   *
   * @param what the undo's name for the failure message ("destroy")
   */
  public void all(List<String> instanceIds, Consumer<String> undo, String what) {
    throwIfAnyFailed(run(instanceIds, id -> {
      undo.accept(id);
      return null;
    }), instanceIds.size(), what);
  }

  private static void throwIfAnyFailed(List<InstanceOutcome<Object>> outcomes, int count, String what) {
    List<InstanceOutcome<Object>> failed = outcomes.stream().filter(o -> !o.succeeded()).toList();
    if (!failed.isEmpty()) {
      InstanceOutcome<Object> first = failed.get(0);
      throw ApplicationFailure.newFailure(
          what + " failed for " + failed.size() + " of " + count + " instance(s), first " + first.instanceId() + ": "
              + first.failureType() + ": " + first.failureMessage(),
          UNDO_INCOMPLETE);
    }
  }

  /**
   * {@link #each} on the calling thread, one instance after the other, for steps whose order
   * matters or that gain nothing from parallelism (slot reservations behind one lock).
   */
  public static <T> List<InstanceOutcome<T>> inTurn(List<String> instanceIds, Function<String, T> step) {
    List<InstanceOutcome<T>> outcomes = new ArrayList<>(instanceIds.size());
    for (String id : instanceIds) {
      outcomes.add(attempt(id, step));
    }
    return outcomes;
  }

  /** {@link #all} on the calling thread, one instance after the other. */
  public static void allInTurn(List<String> instanceIds, Consumer<String> undo, String what) {
    throwIfAnyFailed(inTurn(instanceIds, id -> {
      undo.accept(id);
      return null;
    }), instanceIds.size(), what);
  }

  private <T> List<InstanceOutcome<T>> run(List<String> instanceIds, Function<String, T> step) {
    ActivityExecutionContext context = heartbeatContext();
    if (parallelism == 1 || instanceIds.size() == 1) {
      List<InstanceOutcome<T>> attempts = new ArrayList<>(instanceIds.size());
      for (String id : instanceIds) {
        attempts.add(attempt(id, step));
        heartbeat(context, attempts.size());
      }
      return attempts;
    }
    LinkedBlockingQueue<Integer> completed = new LinkedBlockingQueue<>();
    List<Future<InstanceOutcome<T>>> futures = new ArrayList<>(instanceIds.size());
    for (int i = 0; i < instanceIds.size(); i++) {
      String id = instanceIds.get(i);
      int index = i;
      futures.add(executor.submit(() -> {
        try {
          return attempt(id, step);
        } finally {
          completed.add(index);
        }
      }));
    }
    try {
      int done = 0;
      while (done < instanceIds.size()) {
        Integer finished = completed.poll(HEARTBEAT_EVERY_MILLIS, TimeUnit.MILLISECONDS);
        if (finished != null) {
          done++;
          done += completed.drainTo(new ArrayList<>());
        }
        heartbeat(context, done);
      }
      List<InstanceOutcome<T>> attempts = new ArrayList<>(futures.size());
      for (Future<InstanceOutcome<T>> future : futures) {
        attempts.add(future.get());
      }
      return attempts;
    } catch (InterruptedException e) {
      futures.forEach(f -> f.cancel(true));
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while running a batch of " + instanceIds.size(), e);
    } catch (ExecutionException e) {
      // attempt() catches every exception; an Error got through.
      futures.forEach(f -> f.cancel(true));
      throw new IllegalStateException("a batch step died: " + e.getCause(), e.getCause());
    } catch (ActivityCompletionException e) {
      // Cancelled or timed out as seen by the server: stop what hasn't started.
      futures.forEach(f -> f.cancel(false));
      throw e;
    }
  }

  private static <T> InstanceOutcome<T> attempt(String id, Function<String, T> step) {
    try {
      return InstanceOutcome.ok(id, step.apply(id));
    } catch (ApplicationFailure failure) {
      return InstanceOutcome.failed(id, failure.getType(), failure.getOriginalMessage(), !failure.isNonRetryable());
    } catch (RuntimeException e) {
      log.debug("batch step failed for instance {}", id, e);
      return InstanceOutcome.failed(id, e.getClass().getSimpleName(),
          e.getMessage() == null ? e.toString() : e.getMessage(), true);
    }
  }

  /** The activity's context if it can heartbeat (a local activity can't; a direct call has none). */
  private static ActivityExecutionContext heartbeatContext() {
    try {
      ActivityExecutionContext context = Activity.getExecutionContext();
      return context.getInfo().isLocal() ? null : context;
    } catch (IllegalStateException notInActivity) {
      return null;
    }
  }

  /** Throttled by the SDK: at most one heartbeat to the server per 80% of the heartbeat timeout. */
  private static void heartbeat(ActivityExecutionContext context, int done) {
    if (context != null) {
      context.heartbeat(done);
    }
  }

  @PreDestroy
  @Override
  public void close() {
    executor.shutdownNow();
  }
}

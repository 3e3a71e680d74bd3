package dev.faaster.activities.vm;

import io.temporal.activity.Activity;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs a long step (a VM boot, an image build) while the activity heartbeats, so Temporal notices
 * a dead worker within the heartbeat timeout instead of the step's whole start-to-close timeout.
 */
final class Heartbeats {

  private static final Duration INTERVAL = Duration.ofSeconds(5);
  private static final ExecutorService EXECUTOR =
      Executors.newCachedThreadPool(r -> {
        Thread thread = new Thread(r, "heartbeat-work");
        thread.setDaemon(true);
        return thread;
      });

  private Heartbeats() {}

  static <T> T whileRunning(String what, Callable<T> work) {
    Future<T> future = EXECUTOR.submit(work);
    long started = System.nanoTime();
    try {
      while (true) {
        try {
          return future.get(INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException stillRunning) {
          heartbeat(what + ": " + (System.nanoTime() - started) / 1_000_000_000 + " s");
        }
      }
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException runtime) {
        throw runtime;
      }
      throw new IllegalStateException(what + " failed: " + cause.getMessage(), cause);
    } catch (InterruptedException e) {
      future.cancel(true);
      Thread.currentThread().interrupt();
      throw new IllegalStateException(what + " interrupted", e);
    }
  }

  private static void heartbeat(String progress) {
    try {
      Activity.getExecutionContext().heartbeat(progress);
    } catch (IllegalStateException notInAnActivity) {
      // Called directly (tests, the benchmark): nobody to tell.
    }
  }
}

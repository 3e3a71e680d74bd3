package dev.faaster.api.it;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.Supplier;

/** Bounded waiting: every wait in these tests has a deadline and says what it waited for. */
final class Poll {

  static final Duration INTERVAL = Duration.ofMillis(200);

  private Poll() {}

  /**
   * Calls {@code probe} until it returns a value, at most for {@code timeout}. A probe that throws
   * counts as "not yet" (the server may still be starting); its last error is reported.
   *
   * @param what the condition, as it should read in the failure ("RecordVersion to start")
   * @param diagnostics appended to the failure: the state that explains why the wait failed
   * @throws AssertionError when the deadline passes
   */
  static <T> T until(String what, Duration timeout, Callable<Optional<T>> probe, Supplier<String> diagnostics) {
    long deadline = System.nanoTime() + timeout.toNanos();
    Exception lastError = null;
    while (true) {
      try {
        Optional<T> value = probe.call();
        if (value.isPresent()) {
          return value.get();
        }
        lastError = null;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted while waiting for " + what, e);
      } catch (Exception e) {
        lastError = e;
      }
      if (System.nanoTime() - deadline >= 0) {
        String last = lastError == null ? "" : "; the last check failed with " + lastError;
        throw new AssertionError(
            "waited " + timeout.toSeconds() + " s for " + what + ", in vain" + last + "\n" + diagnostics.get(), lastError);
      }
      try {
        Thread.sleep(INTERVAL.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted while waiting for " + what, e);
      }
    }
  }

  static <T> T until(String what, Duration timeout, Callable<Optional<T>> probe) {
    return until(what, timeout, probe, () -> "");
  }
}

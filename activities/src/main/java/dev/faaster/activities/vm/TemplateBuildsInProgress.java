package dev.faaster.activities.vm;

import jakarta.inject.Singleton;
import java.util.concurrent.atomic.AtomicInteger;

/** Counts template builds running in this process; the reconciler spares their domains meanwhile. */
@Singleton
public class TemplateBuildsInProgress {

  private final AtomicInteger running = new AtomicInteger();

  /** Marks a build running until the handle is closed. */
  public Running start() {
    running.incrementAndGet();
    return running::decrementAndGet;
  }

  /** An open build; closing it ends the mark. */
  @FunctionalInterface
  public interface Running extends AutoCloseable {
    @Override
    void close();
  }

  public boolean any() {
    return running.get() > 0;
  }
}

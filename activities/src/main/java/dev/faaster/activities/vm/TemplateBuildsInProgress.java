package dev.faaster.activities.vm;

import jakarta.inject.Singleton;
import java.util.concurrent.atomic.AtomicInteger;

/** Counts template builds running in this process; the reconciler spares their domains meanwhile. */
@Singleton
public class TemplateBuildsInProgress {

  private final AtomicInteger running = new AtomicInteger();

  public AutoCloseable start() {
    running.incrementAndGet();
    return running::decrementAndGet;
  }

  public boolean any() {
    return running.get() > 0;
  }
}

package dev.faaster.codecache;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A hold on one L1 entry: while any lease on it is open the entry is in use and never evicted.
 * Readers open {@link #path()} in place (no copy per instance). Closing twice is harmless.
 */
public final class Lease implements AutoCloseable {

  private final String sha256;
  private final Path path;
  private final long sizeBytes;
  private final String source;
  private final Duration elapsed;
  private final Runnable release;
  private final AtomicBoolean closed = new AtomicBoolean();

  Lease(String sha256, Path path, long sizeBytes, String source, Duration elapsed, Runnable release) {
    this.sha256 = sha256;
    this.path = path;
    this.sizeBytes = sizeBytes;
    this.source = source;
    this.elapsed = elapsed;
    this.release = release;
  }

  public String sha256() {
    return sha256;
  }

  /** The verified package on local disk; read it, never write it. */
  public Path path() {
    return path;
  }

  public long sizeBytes() {
    return sizeBytes;
  }

  /** The tier whose bytes made this acquire succeed: {@code l1}, {@code l2} or {@code origin}. */
  public String source() {
    return source;
  }

  /** How long the acquire took, including any wait for a fetch another caller started. */
  public Duration elapsed() {
    return elapsed;
  }

  public boolean isClosed() {
    return closed.get();
  }

  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      release.run();
    }
  }

  @Override
  public String toString() {
    return "Lease[" + sha256 + " from " + source + " in " + elapsed.toNanos() / 1_000 + " µs]";
  }
}

package dev.faaster.packagestore;

import java.time.Duration;
import java.time.Instant;

/**
 * Decides when an object nothing refers to may be deleted. A grace period protects objects whose
 * row is about to be written (an upload between its S3 put and its registry update, a deploy
 * between store and record): only objects older than that are garbage. Pure; time is passed in.
 */
public final class OrphanPolicy {

  private final Duration grace;

  public OrphanPolicy(Duration grace) {
    if (grace.isNegative()) {
      throw new IllegalArgumentException("grace must not be negative: " + grace);
    }
    this.grace = grace;
  }

  public boolean isGarbage(ObjectSummary object, boolean referenced, Instant now) {
    return !referenced && !object.lastModified().plus(grace).isAfter(now);
  }
}

package dev.faaster.zonecache.store;

import io.micronaut.core.annotation.Nullable;
import java.time.Instant;

/** One package in the index: its size, when it was last used, and the file state last verified. */
final class CacheEntry {

  private final String sha256;
  private final long sizeBytes;
  private volatile Instant lastUsed;
  private volatile @Nullable FileState verified;

  CacheEntry(String sha256, long sizeBytes, Instant lastUsed, @Nullable FileState verified) {
    this.sha256 = sha256;
    this.sizeBytes = sizeBytes;
    this.lastUsed = lastUsed;
    this.verified = verified;
  }

  String sha256() {
    return sha256;
  }

  long sizeBytes() {
    return sizeBytes;
  }

  Instant lastUsed() {
    return lastUsed;
  }

  void used(Instant now) {
    lastUsed = now;
  }

  /** Whether the file, now in {@code current} state, is the one whose digest was checked. */
  boolean trusted(@Nullable FileState current) {
    FileState checked = verified;
    return checked != null && checked.equals(current);
  }

  void verified(FileState state) {
    verified = state;
  }
}

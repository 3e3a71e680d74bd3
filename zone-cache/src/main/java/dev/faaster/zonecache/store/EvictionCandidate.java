package dev.faaster.zonecache.store;

import java.time.Instant;

/**
 * One entry as the eviction policy sees it.
 *
 * @param sha256 the entry's digest
 * @param sizeBytes bytes on disk
 * @param lastUsed when a request last read it (its install time if none has since)
 * @param active whether a function version or a pending deployment still references the digest
 */
public record EvictionCandidate(String sha256, long sizeBytes, Instant lastUsed, boolean active) {}

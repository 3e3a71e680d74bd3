package dev.faaster.packagestore;

import java.time.Instant;

/**
 * One object in a listing.
 *
 * @param key object key
 * @param sizeBytes content length
 * @param lastModified when it was last written
 */
public record ObjectSummary(String key, long sizeBytes, Instant lastModified) {}

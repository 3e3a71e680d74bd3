package dev.faaster.packagestore;

import io.micronaut.core.annotation.Nullable;

/**
 * An object's metadata.
 *
 * @param key object key
 * @param sizeBytes content length
 * @param sha256 the digest recorded when the object was written, if any
 */
public record StoredObject(String key, long sizeBytes, @Nullable String sha256) {}

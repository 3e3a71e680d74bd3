package dev.faaster.workflows.deploy;

/**
 * A package stored content-addressed in the object store.
 *
 * @param key object key, derived from the digest only
 * @param created true if this call wrote the object, false if identical content was already there
 */
public record StoredPackage(String key, boolean created) {}

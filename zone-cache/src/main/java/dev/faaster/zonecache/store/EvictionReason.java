package dev.faaster.zonecache.store;

/** Why an entry was chosen; also the {@code reason} tag of the eviction metrics. */
public enum EvictionReason {
  /** No function version or pending deployment references the digest any more. */
  INACTIVE,
  /** Still referenced, but the least recently used and the cache is still over its bound. */
  LEAST_RECENTLY_USED
}

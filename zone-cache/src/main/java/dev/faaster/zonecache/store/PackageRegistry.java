package dev.faaster.zonecache.store;

import java.util.Collection;
import java.util.Set;

/** What the zone cache needs to know from the function registry; owned by the cache. */
public interface PackageRegistry {

  /**
   * Whether the tenant owns the digest: one of its function versions uses it, or one of its
   * deployments that hasn't failed does (the deploy's warm-up runs before the version row exists).
   */
  boolean owns(String tenantId, String sha256);

  /**
   * Those of the digests that are active: a function version or a pending deployment references
   * them. The others may be evicted first.
   */
  Set<String> active(Collection<String> sha256s);
}

package dev.faaster.codecache;

import java.util.List;

/**
 * The digests of a tenant's active function versions (those an alias or $LATEST points at): what
 * the node prefetches after it fetched one package of the tenant. Supplied by the caller, usually
 * from the registry. Called off the cold path, on the cache's background threads.
 */
@FunctionalInterface
public interface ActivePackages {

  /** No prefetch. */
  ActivePackages NONE = tenantId -> List.of();

  /** Digests (lowercase hex sha256) of the tenant's active packages; may include ones the node has. */
  List<String> activeDigests(String tenantId);
}

package dev.faaster.codecache;

/**
 * What one prefetch of a tenant's active packages did.
 *
 * @param tenantId the tenant
 * @param listed distinct digests {@link ActivePackages} returned
 * @param alreadyCached already on the node or being fetched by someone else
 * @param fetched fetched and installed
 * @param skipped not installed: no room without evicting an entry in use or recently used, or the
 *     background queue was full
 * @param failed no tier delivered it
 */
public record PrefetchReport(String tenantId, int listed, int alreadyCached, int fetched, int skipped, int failed) {

  static PrefetchReport nothing(String tenantId) {
    return new PrefetchReport(tenantId, 0, 0, 0, 0, 0);
  }
}

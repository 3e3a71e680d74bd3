package dev.faaster.codecache;

import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;

/**
 * A place a node can get a code package from, below its own L1 cache: the zone cache, the origin.
 * Owned by the cache, which is the only caller; implementations only move bytes. The caller
 * verifies every byte against the digest, so a tier never has to be trusted.
 */
public interface CodeTier {

  /** Short, stable name used in metric tags and in errors: {@code l2}, {@code origin}. */
  String name();

  /**
   * The package's bytes, or empty when this tier doesn't hold it and can't get it. The caller
   * closes the stream.
   *
   * @param tenantId the tenant the package is fetched for; a tier may refuse digests it doesn't own
   * @param sha256 the package's digest, lowercase hex
   * @throws CodeAccessDeniedException the tier refuses this tenant this digest; permanent, the
   *     caller asks no further tier
   * @throws IOException the tier can't be reached or failed; the caller tries the next tier (a
   *     {@link RuntimeException} from a client library is treated the same way)
   */
  Optional<InputStream> open(String tenantId, String sha256) throws IOException;
}

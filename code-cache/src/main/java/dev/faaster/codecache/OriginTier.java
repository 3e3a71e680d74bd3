package dev.faaster.codecache;

import dev.faaster.packagestore.PackageKeys;
import dev.faaster.packagestore.PackageStore;
import java.io.InputStream;
import java.util.Optional;

/**
 * The origin: the content-addressed objects of the S3-compatible store. It doesn't check the
 * tenant: the control plane chose the digest from the tenant's own function version.
 */
public final class OriginTier implements CodeTier {

  public static final String NAME = "origin";

  private final PackageStore store;

  public OriginTier(PackageStore store) {
    this.store = store;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Optional<InputStream> open(String tenantId, String sha256) {
    return store.open(PackageKeys.contentAddressed(sha256));
  }
}

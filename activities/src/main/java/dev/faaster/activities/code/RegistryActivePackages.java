package dev.faaster.activities.code;

import dev.faaster.codecache.ActivePackages;
import dev.faaster.registry.FunctionVersionRepository;
import jakarta.inject.Singleton;
import java.util.List;

/**
 * The seed's developer policy: when a node fetches one package of a tenant, it prefetches the
 * tenant's other published packages, so the next cold start of any of them hits L1.
 */
@Singleton
public class RegistryActivePackages implements ActivePackages {

  private final FunctionVersionRepository versions;

  public RegistryActivePackages(FunctionVersionRepository versions) {
    this.versions = versions;
  }

  @Override
  public List<String> activeDigests(String tenantId) {
    return versions.findDistinctDigestsByTenant(tenantId);
  }
}

package dev.faaster.zonecache.store;

import dev.faaster.registry.DeploymentStatus;
import dev.faaster.registry.FunctionVersionRepository;
import jakarta.inject.Singleton;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** {@link PackageRegistry} over the registry database (read only). */
@Singleton
public class JdbcPackageRegistry implements PackageRegistry {

  /** Digests per IN list: far below every database's parameter limit. */
  static final int BATCH = 500;

  private static final Set<DeploymentStatus> OWNING = EnumSet.of(DeploymentStatus.PENDING, DeploymentStatus.SUCCEEDED);

  private final FunctionVersionRepository versions;
  private final PackageReferenceRepository references;

  public JdbcPackageRegistry(FunctionVersionRepository versions, PackageReferenceRepository references) {
    this.versions = versions;
    this.references = references;
  }

  @Override
  public boolean owns(String tenantId, String sha256) {
    return versions.existsByTenantIdAndCodeSha256(tenantId, sha256)
        || references.existsByTenantIdAndCodeSha256AndStatusIn(tenantId, sha256, OWNING);
  }

  @Override
  public Set<String> active(Collection<String> sha256s) {
    Set<String> active = new HashSet<>();
    List<String> all = new ArrayList<>(sha256s);
    for (int from = 0; from < all.size(); from += BATCH) {
      List<String> batch = all.subList(from, Math.min(all.size(), from + BATCH));
      active.addAll(references.findVersionDigests(batch));
      active.addAll(references.findPendingDeploymentDigests(batch));
    }
    return active;
  }
}

package dev.faaster.zonecache.store;

import dev.faaster.registry.Deployment;
import dev.faaster.registry.DeploymentStatus;
import io.micronaut.data.annotation.Query;
import io.micronaut.data.jdbc.annotation.JdbcRepository;
import io.micronaut.data.model.query.builder.sql.Dialect;
import io.micronaut.data.repository.GenericRepository;
import java.util.Collection;
import java.util.List;

/** Read-only questions the zone cache asks the registry tables about digests. */
@JdbcRepository(dialect = Dialect.H2)
public interface PackageReferenceRepository extends GenericRepository<Deployment, String> {

  /** Whether a deployment of this tenant in one of the statuses uses the digest. */
  boolean existsByTenantIdAndCodeSha256AndStatusIn(
      String tenantId, String codeSha256, Collection<DeploymentStatus> status);

  /** Those of the digests some function version uses. */
  @Query("SELECT DISTINCT code_sha256 FROM function_versions WHERE code_sha256 IN (:digests)")
  List<String> findVersionDigests(Collection<String> digests);

  /** Those of the digests a deployment still in flight uses. */
  @Query("SELECT DISTINCT code_sha256 FROM deployments WHERE status = 'PENDING' AND code_sha256 IN (:digests)")
  List<String> findPendingDeploymentDigests(Collection<String> digests);
}

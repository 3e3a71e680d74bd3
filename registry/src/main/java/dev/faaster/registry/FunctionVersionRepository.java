package dev.faaster.registry;

import io.micronaut.data.jdbc.annotation.JdbcRepository;
import io.micronaut.data.model.query.builder.sql.Dialect;
import io.micronaut.data.repository.CrudRepository;
import java.util.List;
import java.util.Optional;

/** Published versions. Immutable once written; removed only by compensation or function delete. */
@JdbcRepository(dialect = Dialect.H2)
public interface FunctionVersionRepository extends CrudRepository<FunctionVersion, String> {

  Optional<FunctionVersion> findByFunctionIdAndVersion(String functionId, int version);

  Optional<FunctionVersion> findByDeploymentId(String deploymentId);

  List<FunctionVersion> findByFunctionIdOrderByVersion(String functionId);

  /** The highest published version (what an unqualified invocation runs). */
  Optional<FunctionVersion> findFirstByFunctionIdOrderByVersionDesc(String functionId);

  List<FunctionVersion> findByFunctionId(String functionId);

  boolean existsByFunctionIdAndVersion(String functionId, int version);

  /** Whether some version other than the given deployment's uses this digest. */
  boolean existsByCodeSha256AndDeploymentIdNotEqual(String codeSha256, String deploymentId);

  boolean existsByCodeSha256(String codeSha256);

  long deleteByDeploymentId(String deploymentId);

  /** Digests of every published version of the tenant's functions (the L1 prefetch set). */
  @io.micronaut.data.annotation.Query("SELECT DISTINCT code_sha256 FROM function_versions WHERE tenant_id = :tenantId")
  List<String> findDistinctDigestsByTenant(String tenantId);

  /** Whether this tenant owns a version with this digest (the zone cache asks before serving). */
  boolean existsByTenantIdAndCodeSha256(String tenantId, String codeSha256);
}

package dev.faaster.registry;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.data.annotation.Query;
import io.micronaut.data.jdbc.annotation.JdbcRepository;
import io.micronaut.data.model.Pageable;
import io.micronaut.data.model.query.builder.sql.Dialect;
import io.micronaut.data.repository.CrudRepository;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Functions, always looked up with their tenant: a function of another tenant is never found.
 * Updates are conditional on {@code revision} so concurrent writers can't lose each other's changes.
 */
@JdbcRepository(dialect = Dialect.H2)
public interface FunctionRepository extends CrudRepository<FunctionRecord, String> {

  Optional<FunctionRecord> findByTenantIdAndName(String tenantId, String name);

  /** One page of a tenant's functions after {@code after} in name order (keyset pagination). */
  List<FunctionRecord> findByTenantIdAndNameGreaterThanOrderByName(String tenantId, String after, Pageable pageable);

  long countByTenantId(String tenantId);

  /** Sets the staged $LATEST code; 0 rows when someone else changed the function first. */
  @Query(
      "UPDATE functions SET code_sha256 = :sha256, code_size_bytes = :sizeBytes, code_staging_key = :stagingKey,"
          + " revision = revision + 1, updated_at = :now WHERE id = :id AND revision = :revision")
  long updateCode(String id, long revision, String sha256, long sizeBytes, String stagingKey, Instant now);

  /** Replaces the configuration; 0 rows when someone else changed the function first. */
  @Query(
      "UPDATE functions SET runtime = :runtime, handler = :handler, memory_mb = :memoryMb,"
          + " timeout_seconds = :timeoutSeconds, environment = :environment, vpc_config = :vpcConfig,"
          + " description = :description, snap_start = :snapStart, revision = revision + 1, updated_at = :now"
          + " WHERE id = :id AND revision = :revision")
  long updateConfiguration(
      String id,
      long revision,
      String runtime,
      @Nullable String handler,
      int memoryMb,
      int timeoutSeconds,
      String environment,
      String vpcConfig,
      @Nullable String description,
      boolean snapStart,
      Instant now);

  /** Sets (or, with null, removes) the reserved concurrency; 0 rows when someone else changed the function first. */
  @Query(
      "UPDATE functions SET reserved_concurrency = :reservedConcurrency, revision = revision + 1, updated_at = :now"
          + " WHERE id = :id AND revision = :revision")
  long updateReservedConcurrency(String id, long revision, @Nullable Integer reservedConcurrency, Instant now);

  /**
   * Takes the next version number; 0 rows when someone else changed the function first. The
   * reserved number is the record's {@code nextVersion} as read at {@code revision}.
   */
  @Query(
      "UPDATE functions SET next_version = next_version + 1, revision = revision + 1, updated_at = :now"
          + " WHERE id = :id AND revision = :revision")
  long reserveVersion(String id, long revision, Instant now);

  /** Whether a function's $LATEST uses this staged object. */
  boolean existsByCodeStagingKey(String codeStagingKey);
}

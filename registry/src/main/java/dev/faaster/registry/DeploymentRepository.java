package dev.faaster.registry;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.data.annotation.Query;
import io.micronaut.data.jdbc.annotation.JdbcRepository;
import io.micronaut.data.model.query.builder.sql.Dialect;
import io.micronaut.data.repository.CrudRepository;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** Deploy records; their status moves only from PENDING, once. */
@JdbcRepository(dialect = Dialect.H2)
public interface DeploymentRepository extends CrudRepository<Deployment, String> {

  Optional<Deployment> findByFunctionIdAndVersion(String functionId, int version);

  /** The newest deployment of a function (idempotent publish compares against it). */
  Optional<Deployment> findFirstByFunctionIdOrderByVersionDesc(String functionId);

  List<Deployment> findByFunctionIdAndStatus(String functionId, DeploymentStatus status);

  /** Moves a PENDING deployment to a final status; 0 rows when it had already left PENDING. */
  @Query(
      "UPDATE deployments SET status = :status, failure_reason = :failureReason, updated_at = :now"
          + " WHERE id = :id AND status = 'PENDING'")
  long finish(String id, DeploymentStatus status, @Nullable String failureReason, Instant now);

  /** Whether another deploy that hasn't failed still needs this digest's object. */
  boolean existsByCodeSha256AndStatusNotEqualAndIdNotEqual(String codeSha256, DeploymentStatus status, String id);

  /** Whether a deploy that hasn't failed uses this digest. */
  boolean existsByCodeSha256AndStatusNotEqual(String codeSha256, DeploymentStatus status);

  /** Whether a deploy still in flight reads this staged object. */
  boolean existsByStagingKeyAndStatus(String stagingKey, DeploymentStatus status);
}

package dev.faaster.registry;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.data.annotation.Query;
import io.micronaut.data.jdbc.annotation.JdbcRepository;
import io.micronaut.data.model.query.builder.sql.Dialect;
import io.micronaut.data.repository.CrudRepository;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** Aliases of a function. */
@JdbcRepository(dialect = Dialect.H2)
public interface AliasRepository extends CrudRepository<Alias, String> {

  Optional<Alias> findByFunctionIdAndName(String functionId, String name);

  List<Alias> findByFunctionIdOrderByName(String functionId);

  /** Repoints an alias; 0 rows when someone else changed it first. */
  @Query(
      "UPDATE aliases SET version = :version, weight = :weight, additional_version = :additionalVersion,"
          + " additional_weight = :additionalWeight, description = :description, revision = revision + 1,"
          + " updated_at = :now WHERE id = :id AND revision = :revision")
  long repoint(
      String id,
      long revision,
      int version,
      int weight,
      @Nullable Integer additionalVersion,
      @Nullable Integer additionalWeight,
      @Nullable String description,
      Instant now);

  /** Whether any alias of the function routes to the version (such a version can't be deleted). */
  @Query(
      "SELECT COUNT(*) > 0 FROM aliases WHERE function_id = :functionId"
          + " AND (version = :version OR additional_version = :version)")
  boolean routesTo(String functionId, int version);
}

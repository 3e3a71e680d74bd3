package dev.faaster.registry;

import io.micronaut.data.annotation.Query;
import io.micronaut.data.jdbc.annotation.JdbcRepository;
import io.micronaut.data.model.query.builder.sql.Dialect;
import io.micronaut.data.repository.CrudRepository;
import java.util.List;
import java.util.Optional;

/** Templates per node and runtime. */
@JdbcRepository(dialect = Dialect.H2)
public interface TemplateRepository extends CrudRepository<TemplateRecord, String> {

  Optional<TemplateRecord> findByNodeIdAndRuntimeAndInputsDigest(String nodeId, String runtime, String inputsDigest);

  List<TemplateRecord> findByNodeIdAndRuntimeAndStatus(String nodeId, String runtime, String status);

  List<TemplateRecord> findByNodeIdAndStatus(String nodeId, String status);

  /** Retires the node's other templates of the runtime once a new one is ready. */
  @Query("UPDATE templates SET status = 'RETIRED' WHERE node_id = :nodeId AND runtime = :runtime AND id <> :keepId AND status = 'READY'")
  long retireOthers(String nodeId, String runtime, String keepId);
}

package dev.faaster.registry;

import io.micronaut.data.annotation.Query;
import io.micronaut.data.jdbc.annotation.JdbcRepository;
import io.micronaut.data.model.query.builder.sql.Dialect;
import io.micronaut.data.repository.CrudRepository;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/** Instances per node; the reconciler compares them with the hypervisor's domains. */
@JdbcRepository(dialect = Dialect.H2)
public interface InstanceRepository extends CrudRepository<InstanceRecord, String> {

  Optional<InstanceRecord> findByDomainName(String domainName);

  List<InstanceRecord> findByNodeIdAndStateInList(String nodeId, Collection<String> states);

  @Query("UPDATE instances SET state = :state, updated_at = :now WHERE id = :id")
  long updateState(String id, String state, Instant now);
}

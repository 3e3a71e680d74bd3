package dev.faaster.registry;

import io.micronaut.data.annotation.Query;
import io.micronaut.data.jdbc.annotation.JdbcRepository;
import io.micronaut.data.model.query.builder.sql.Dialect;
import io.micronaut.data.repository.CrudRepository;
import java.time.Instant;
import java.util.List;

/** Registered nodes; liveness moves by conditional updates so concurrent control processes agree. */
@JdbcRepository(dialect = Dialect.H2)
public interface NodeRepository extends CrudRepository<NodeRecord, String> {

  List<NodeRecord> findByState(String state);

  /** A heartbeat; brings a LOST node back to LIVE. 0 rows when the node isn't registered. */
  @Query("UPDATE nodes SET heartbeat_at = :now, state = 'LIVE' WHERE id = :id")
  long heartbeat(String id, Instant now);

  /** Marks the node LOST if it is LIVE and its last heartbeat is before {@code cutoff}; 0 rows otherwise. */
  @Query("UPDATE nodes SET state = 'LOST' WHERE id = :id AND state = 'LIVE' AND heartbeat_at < :cutoff")
  long markLost(String id, Instant cutoff);

  /** Publishes where the node serves invocations; 0 rows when the node isn't registered. */
  @Query("UPDATE nodes SET data_plane_url = :url WHERE id = :id")
  long publishDataPlane(String id, String url);

  /** LIVE nodes whose last heartbeat is before {@code cutoff}. */
  @Query("SELECT * FROM nodes WHERE state = 'LIVE' AND heartbeat_at < :cutoff")
  List<NodeRecord> findStale(Instant cutoff);
}

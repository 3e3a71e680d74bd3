package dev.faaster.registry;

import io.micronaut.data.annotation.Query;
import io.micronaut.data.jdbc.annotation.JdbcRepository;
import io.micronaut.data.model.query.builder.sql.Dialect;
import io.micronaut.data.repository.CrudRepository;
import java.util.List;

/**
 * The instances each router owns. A change of owner is one conditional statement: an orphan goes to
 * the live router that adopts it only while its old router is still not LIVE, so two API processes
 * never both retire it, and a router that comes back keeps what was not adopted yet.
 */
@JdbcRepository(dialect = Dialect.H2)
public interface RouterInstanceRepository extends CrudRepository<RouterInstanceRecord, String> {

  List<RouterInstanceRecord> findByRouterId(String routerId);

  /** Instances whose router is GONE or has no row at all. */
  @Query(
      "SELECT ri.* FROM router_instances ri LEFT JOIN routers r ON r.id = ri.router_id"
          + " WHERE r.id IS NULL OR r.state = 'GONE'")
  List<RouterInstanceRecord> findOrphaned();

  /** Records the node of a started instance; 0 rows when the row is gone. */
  @Query("UPDATE router_instances SET node_id = :nodeId WHERE instance_id = :instanceId")
  long recordNode(String instanceId, String nodeId);

  /**
   * Gives the instance to {@code routerId} if {@code deadRouterId} still owns it and is not LIVE;
   * 0 rows: someone else adopted it, or its router came back.
   */
  @Query(
      "UPDATE router_instances SET router_id = :routerId WHERE instance_id = :instanceId AND router_id = :deadRouterId"
          + " AND NOT EXISTS (SELECT 1 FROM routers r WHERE r.id = :deadRouterId AND r.state = 'LIVE')")
  long adopt(String instanceId, String deadRouterId, String routerId);

  /** Gives the instance from {@code ownerId} to {@code routerId}; 0 rows when {@code ownerId} does not own it. */
  @Query("UPDATE router_instances SET router_id = :routerId WHERE instance_id = :instanceId AND router_id = :ownerId")
  long transfer(String instanceId, String ownerId, String routerId);

  /** Deletes the row if {@code routerId} owns it; 0 rows otherwise. */
  @Query("DELETE FROM router_instances WHERE instance_id = :instanceId AND router_id = :routerId")
  long deleteOwned(String instanceId, String routerId);
}

package dev.faaster.registry;

import io.micronaut.data.annotation.Query;
import io.micronaut.data.jdbc.annotation.JdbcRepository;
import io.micronaut.data.model.query.builder.sql.Dialect;
import io.micronaut.data.repository.CrudRepository;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Slots. Every change of holder is one conditional statement: a slot goes from free to one instance
 * only if it is still free and its node still LIVE, so racing control processes never both win.
 */
@JdbcRepository(dialect = Dialect.H2)
public interface SlotRepository extends CrudRepository<SlotRecord, String> {

  Optional<SlotRecord> findByInstanceId(String instanceId);

  List<SlotRecord> findByNodeId(String nodeId);

  /** Every slot of every LIVE node, free or held. */
  @Query("SELECT s.* FROM slots s JOIN nodes n ON n.id = s.node_id WHERE n.state = 'LIVE'")
  List<SlotRecord> findOnLiveNodes();

  /**
   * Gives the slot to the instance if it is free and its node LIVE. 0 rows: someone else took it
   * (or the node was lost). Throws an integrity violation when the instance already holds a slot.
   */
  @Query(
      "UPDATE slots SET instance_id = :instanceId, reserved_at = :now WHERE id = :id AND instance_id IS NULL"
          + " AND EXISTS (SELECT 1 FROM nodes n WHERE n.id = slots.node_id AND n.state = 'LIVE')")
  long reserve(String id, String instanceId, Instant now);

  /** Frees the slot if this instance holds it; 0 rows otherwise. */
  @Query("UPDATE slots SET instance_id = NULL, reserved_at = NULL WHERE id = :id AND instance_id = :instanceId")
  long release(String id, String instanceId);

  /** Frees every slot of the node (its instances are lost); returns how many were held. */
  @Query("UPDATE slots SET instance_id = NULL, reserved_at = NULL WHERE node_id = :nodeId AND instance_id IS NOT NULL")
  long releaseAllOfNode(String nodeId);

  /** Deletes the slot if it is free; 0 rows when it is held (or gone). */
  @Query("DELETE FROM slots WHERE id = :id AND instance_id IS NULL")
  long deleteIfFree(String id);

  /** Deletes the node's free slots (a new plan recuts them); held slots stay. */
  @Query("DELETE FROM slots WHERE node_id = :nodeId AND instance_id IS NULL")
  long deleteFreeOfNode(String nodeId);
}

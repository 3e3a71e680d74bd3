package dev.faaster.registry;

import io.micronaut.data.annotation.Query;
import io.micronaut.data.jdbc.annotation.JdbcRepository;
import io.micronaut.data.model.query.builder.sql.Dialect;
import io.micronaut.data.repository.CrudRepository;
import java.time.Instant;
import java.util.List;

/** Routers; a router is declared GONE by a conditional update, so concurrent API processes agree. */
@JdbcRepository(dialect = Dialect.H2)
public interface RouterRepository extends CrudRepository<RouterRecord, String> {

  /** A heartbeat of a LIVE router. 0 rows: it is not registered or was declared GONE. */
  @Query("UPDATE routers SET heartbeat_at = :now WHERE id = :id AND state = 'LIVE'")
  long heartbeat(String id, Instant now);

  /** LIVE routers whose last heartbeat is before {@code cutoff}. */
  @Query("SELECT * FROM routers WHERE state = 'LIVE' AND heartbeat_at < :cutoff")
  List<RouterRecord> findStale(Instant cutoff);

  /** Marks the router GONE if it is LIVE and its last heartbeat is before {@code cutoff}; 0 rows otherwise. */
  @Query("UPDATE routers SET state = 'GONE' WHERE id = :id AND state = 'LIVE' AND heartbeat_at < :cutoff")
  long markStaleGone(String id, Instant cutoff);

  /** Marks the router GONE (it shut down). */
  @Query("UPDATE routers SET state = 'GONE' WHERE id = :id")
  long markGone(String id);

  /** Deletes GONE routers last heard of before {@code cutoff} that own no instance; returns how many. */
  @Query(
      "DELETE FROM routers WHERE state = 'GONE' AND heartbeat_at < :cutoff"
          + " AND NOT EXISTS (SELECT 1 FROM router_instances ri WHERE ri.router_id = routers.id)")
  long deleteGoneWithoutInstances(Instant cutoff);
}

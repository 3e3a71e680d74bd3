package dev.faaster.registry;

import io.micronaut.data.annotation.Id;
import io.micronaut.data.annotation.MappedEntity;
import java.time.Instant;

/**
 * An API process's invocation router, which owns the instances it started. {@code state} is LIVE or
 * GONE (it shut down, or stopped heartbeating: its instances are orphans to retire).
 *
 * @param host where the process runs, for operators
 */
@MappedEntity("routers")
public record RouterRecord(@Id String id, String host, String state, Instant heartbeatAt, Instant startedAt) {

  public static final String LIVE = "LIVE";
  public static final String GONE = "GONE";
}

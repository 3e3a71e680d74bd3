package dev.faaster.registry;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.data.annotation.Id;
import io.micronaut.data.annotation.MappedEntity;
import java.time.Instant;

/**
 * A micro VM instance restored from a template, with the identity it was given. {@code state} is
 * STARTING, READY, DESTROYED or LOST (its domain vanished without the platform destroying it).
 */
@MappedEntity("instances")
public record InstanceRecord(
    @Id String id,
    String nodeId,
    String templateId,
    String domainName,
    String domainUuid,
    String mac,
    String hostname,
    @Nullable String ip,
    String state,
    Instant createdAt,
    Instant updatedAt) {

  public static final String STARTING = "STARTING";
  public static final String READY = "READY";
  public static final String DESTROYED = "DESTROYED";
  public static final String LOST = "LOST";
}

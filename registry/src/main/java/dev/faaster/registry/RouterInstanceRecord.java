package dev.faaster.registry;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.data.annotation.Id;
import io.micronaut.data.annotation.MappedEntity;
import java.time.Instant;

/**
 * An instance a router owns: written before its cold start is asked for, deleted once it is handed
 * to the retirer.
 *
 * @param nodeId the node it runs on, once its cold start completed
 */
@MappedEntity("router_instances")
public record RouterInstanceRecord(
    @Id String instanceId,
    String routerId,
    @Nullable String nodeId,
    String functionId,
    int version,
    Instant createdAt) {}

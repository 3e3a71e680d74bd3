package dev.faaster.registry;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.data.annotation.Id;
import io.micronaut.data.annotation.MappedEntity;
import java.time.Instant;

/**
 * A piece of a node's capacity of one flavor: free while {@code instanceId} is null.
 *
 * @param id {@code node/flavor@offset}
 * @param offsetMb where in the node's memory the slot sits (buddies split and merge by it)
 */
@MappedEntity("slots")
public record SlotRecord(
    @Id String id,
    String nodeId,
    int flavorMb,
    int offsetMb,
    @Nullable String instanceId,
    @Nullable Instant reservedAt) {}

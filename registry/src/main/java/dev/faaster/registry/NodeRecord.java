package dev.faaster.registry;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.data.annotation.Id;
import io.micronaut.data.annotation.MappedEntity;
import java.time.Instant;

/**
 * A node agent's host as the scheduler sees it. {@code state} is LIVE or LOST (it stopped
 * heartbeating; its slots are withdrawn until it heartbeats again).
 *
 * @param slotPlan the signature of the slot plan its slots were cut by
 * @param dataPlaneUrl where it serves invocations of its instances (null until it publishes it)
 */
@MappedEntity("nodes")
public record NodeRecord(
    @Id String id,
    String zone,
    int memoryMb,
    int vcpus,
    String slotPlan,
    String state,
    Instant heartbeatAt,
    Instant registeredAt,
    @Nullable String dataPlaneUrl) {

  public static final String LIVE = "LIVE";
  public static final String LOST = "LOST";
}

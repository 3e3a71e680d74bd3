package dev.faaster.registry;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.data.annotation.Id;
import io.micronaut.data.annotation.MappedEntity;
import java.time.Instant;

/**
 * A named pointer to a version, optionally splitting traffic with a second version. Weights are
 * percentages; {@code weight + additionalWeight == 100}, and {@code weight == 100} without a split.
 */
@MappedEntity("aliases")
public record Alias(
    @Id String id,
    String tenantId,
    String functionId,
    String name,
    int version,
    int weight,
    @Nullable Integer additionalVersion,
    @Nullable Integer additionalWeight,
    @Nullable String description,
    long revision,
    Instant createdAt,
    Instant updatedAt) {}

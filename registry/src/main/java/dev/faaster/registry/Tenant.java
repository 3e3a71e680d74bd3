package dev.faaster.registry;

import io.micronaut.data.annotation.Id;
import io.micronaut.data.annotation.MappedEntity;
import java.time.Instant;

/** A developer account; every other resource belongs to exactly one tenant. */
@MappedEntity("tenants")
public record Tenant(@Id String id, String name, Instant createdAt) {}

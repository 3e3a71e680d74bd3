package dev.faaster.registry;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.data.annotation.Id;
import io.micronaut.data.annotation.MappedEntity;
import java.time.Instant;

/**
 * A bearer token, stored as the sha256 of its secret. Admin tokens have no tenant and may only
 * manage tenants and tokens; tenant tokens act for their tenant.
 */
@MappedEntity("api_tokens")
public record ApiToken(
    @Id String id,
    @Nullable String tenantId,
    String tokenHash,
    boolean admin,
    @Nullable String description,
    Instant createdAt) {}

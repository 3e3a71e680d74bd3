package dev.faaster.api.tenants;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.serde.annotation.Serdeable;
import java.time.Instant;

/**
 * A new token. The secret is shown this once; only its hash is stored.
 *
 * @param token the secret to send as "Authorization: Bearer ..."
 */
@Serdeable
public record TokenView(String id, String tenantId, @Nullable String description, String token, Instant createdAt) {}

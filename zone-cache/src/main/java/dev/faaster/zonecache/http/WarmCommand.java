package dev.faaster.zonecache.http;

import io.micronaut.serde.annotation.Serdeable;
import jakarta.validation.constraints.NotBlank;

/**
 * Fill the cache with a package before any node asks for it (the deploy workflow's warm-up step).
 *
 * @param tenantId the tenant deploying it; must own the digest (a pending deployment counts)
 */
@Serdeable
public record WarmCommand(@NotBlank String tenantId) {}

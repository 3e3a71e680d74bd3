package dev.faaster.api.tenants;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.serde.annotation.Serdeable;

/** @param description what the token is for ("ci", "alice's laptop") */
@Serdeable
public record CreateTokenCommand(@Nullable String description) {}

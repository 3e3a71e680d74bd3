package dev.faaster.api.tenants;

import io.micronaut.serde.annotation.Serdeable;

/** @param name unique tenant name */
@Serdeable
public record CreateTenantCommand(String name) {}

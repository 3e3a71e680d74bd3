package dev.faaster.api.versions;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.serde.annotation.Serdeable;

/** @param description what changed in this version */
@Serdeable
public record PublishCommand(@Nullable String description) {}

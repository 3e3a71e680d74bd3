package dev.faaster.api.functions;

import io.micronaut.serde.annotation.Serdeable;

/** A code package, by digest. */
@Serdeable
public record CodeView(String sha256, long sizeBytes) {}

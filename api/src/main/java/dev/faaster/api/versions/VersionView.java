package dev.faaster.api.versions;

import dev.faaster.api.functions.VpcConfig;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.serde.annotation.Serdeable;
import java.time.Instant;
import java.util.Map;

/** An immutable published version. */
@Serdeable
public record VersionView(
    int version,
    String sha256,
    long sizeBytes,
    String runtime,
    @Nullable String handler,
    int memoryMb,
    int timeoutSeconds,
    Map<String, String> environment,
    VpcConfig vpcConfig,
    @Nullable String description,
    Instant createdAt) {}

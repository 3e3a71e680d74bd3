package dev.faaster.registry;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.data.annotation.Id;
import io.micronaut.data.annotation.MappedEntity;
import java.time.Instant;

/** An immutable published version: code by digest and the configuration it was published with. */
@MappedEntity("function_versions")
public record FunctionVersion(
    @Id String id,
    String tenantId,
    String functionId,
    String deploymentId,
    int version,
    String codeSha256,
    long codeSizeBytes,
    String packageKey,
    String runtime,
    @Nullable String handler,
    int memoryMb,
    int timeoutSeconds,
    String environment,
    String vpcConfig,
    @Nullable String description,
    Instant createdAt) {}

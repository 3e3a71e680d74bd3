package dev.faaster.registry;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.data.annotation.Id;
import io.micronaut.data.annotation.MappedEntity;
import java.time.Instant;

/**
 * One publish of a version: the reserved version number, the code digest and a snapshot of the
 * function's configuration at publish time, and the deploy workflow's outcome.
 */
@MappedEntity("deployments")
public record Deployment(
    @Id String id,
    String tenantId,
    String functionId,
    String functionName,
    int version,
    String workflowId,
    DeploymentStatus status,
    String codeSha256,
    long codeSizeBytes,
    String stagingKey,
    String runtime,
    @Nullable String handler,
    int memoryMb,
    int timeoutSeconds,
    String environment,
    String vpcConfig,
    @Nullable String description,
    @Nullable String failureReason,
    Instant createdAt,
    Instant updatedAt) {}

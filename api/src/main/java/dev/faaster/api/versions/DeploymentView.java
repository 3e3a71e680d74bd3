package dev.faaster.api.versions;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.serde.annotation.Serdeable;
import java.time.Instant;

/**
 * A deploy and where to follow it.
 *
 * @param status PENDING, SUCCEEDED or FAILED
 * @param statusUrl this resource
 * @param workflowUrl the deploy workflow in the Temporal Web UI
 */
@Serdeable
public record DeploymentView(
    String deploymentId,
    String function,
    int version,
    String status,
    String sha256,
    @Nullable String failureReason,
    String workflowId,
    String statusUrl,
    String workflowUrl,
    Instant createdAt,
    Instant updatedAt) {}

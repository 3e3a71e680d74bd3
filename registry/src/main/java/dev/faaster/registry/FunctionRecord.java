package dev.faaster.registry;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.data.annotation.Id;
import io.micronaut.data.annotation.MappedEntity;
import java.time.Instant;

/**
 * A function and its $LATEST state: configuration plus the staged code package, if uploaded.
 * {@code environment} and {@code vpcConfig} are JSON documents. {@code revision} increases on every
 * change and guards conditional updates.
 */
@MappedEntity("functions")
public record FunctionRecord(
    @Id String id,
    String tenantId,
    String name,
    String runtime,
    @Nullable String handler,
    int memoryMb,
    int timeoutSeconds,
    String environment,
    String vpcConfig,
    @Nullable String description,
    @Nullable String codeSha256,
    @Nullable Long codeSizeBytes,
    @Nullable String codeStagingKey,
    int nextVersion,
    long revision,
    Instant createdAt,
    Instant updatedAt) {

  public boolean hasCode() {
    return codeSha256 != null && codeStagingKey != null;
  }
}

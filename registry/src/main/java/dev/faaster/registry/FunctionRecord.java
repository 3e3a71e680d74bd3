package dev.faaster.registry;

import io.micronaut.core.annotation.Creator;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.data.annotation.Id;
import io.micronaut.data.annotation.MappedEntity;
import java.time.Instant;

/**
 * A function and its $LATEST state: configuration plus the staged code package, if uploaded.
 * {@code environment} and {@code vpcConfig} are JSON documents. {@code revision} increases on every
 * change and guards conditional updates. {@code reservedConcurrency} caps the function's concurrent
 * invocations (null: the platform default; 0: all throttled); {@code snapStart} says whether cold
 * starts restore a template (true) or boot a full VM.
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
    Instant updatedAt,
    @Nullable Integer reservedConcurrency,
    boolean snapStart) {

  @Creator
  public FunctionRecord {}

  /** A function with the default invocation settings: no reserved concurrency, snap start on. */
  public FunctionRecord(
      String id,
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
    this(
        id, tenantId, name, runtime, handler, memoryMb, timeoutSeconds, environment, vpcConfig, description,
        codeSha256, codeSizeBytes, codeStagingKey, nextVersion, revision, createdAt, updatedAt, null, true);
  }

  public boolean hasCode() {
    return codeSha256 != null && codeStagingKey != null;
  }
}

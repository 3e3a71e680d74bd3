package dev.faaster.api.functions;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.serde.annotation.Serdeable;
import java.time.Instant;
import java.util.Map;

/** A function's $LATEST configuration and code. */
@Serdeable
public record FunctionView(
    String name,
    String runtime,
    @Nullable String handler,
    int memoryMb,
    int timeoutSeconds,
    Map<String, String> environment,
    VpcConfig vpcConfig,
    @Nullable String description,
    @Nullable CodeView code,
    Instant createdAt,
    Instant updatedAt) {}

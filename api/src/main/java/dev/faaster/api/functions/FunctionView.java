package dev.faaster.api.functions;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.serde.annotation.Serdeable;
import java.time.Instant;
import java.util.Map;

/**
 * A function's $LATEST configuration and code.
 *
 * @param snapStart whether cold starts restore a template (true) or boot a full VM
 */
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
    boolean snapStart,
    Instant createdAt,
    Instant updatedAt) {}

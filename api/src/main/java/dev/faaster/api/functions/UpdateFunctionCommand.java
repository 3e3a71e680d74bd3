package dev.faaster.api.functions;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.serde.annotation.Serdeable;
import java.util.Map;

/** A partial configuration change: absent fields keep their value; environment is replaced whole. */
@Serdeable
public record UpdateFunctionCommand(
    @Nullable String runtime,
    @Nullable String handler,
    @Nullable Integer memoryMb,
    @Nullable Integer timeoutSeconds,
    @Nullable Map<String, String> environment,
    @Nullable VpcConfig vpcConfig,
    @Nullable String description,
    @Nullable Boolean snapStart) {}

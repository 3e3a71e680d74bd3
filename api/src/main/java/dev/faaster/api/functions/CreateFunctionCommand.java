package dev.faaster.api.functions;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.serde.annotation.Serdeable;
import java.util.Map;

/**
 * A new function. Missing optional fields take Lambda's defaults (128 MiB, 3 s).
 *
 * @param name unique within the tenant
 * @param runtime one of {@link FunctionRules#RUNTIMES}
 * @param handler {@code module.function} for python3; ignored by provided (runs ./bootstrap)
 * @param memoryMb one of the memory flavors {@link FunctionRules#MEMORY_FLAVORS_MB}
 * @param timeoutSeconds 1 to 900
 * @param snapStart cold starts restore the runtime's saved template (default) or, false, boot a full VM
 */
@Serdeable
public record CreateFunctionCommand(
    String name,
    String runtime,
    @Nullable String handler,
    @Nullable Integer memoryMb,
    @Nullable Integer timeoutSeconds,
    @Nullable Map<String, String> environment,
    @Nullable VpcConfig vpcConfig,
    @Nullable String description,
    @Nullable Boolean snapStart) {}

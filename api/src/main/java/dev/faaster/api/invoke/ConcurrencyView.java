package dev.faaster.api.invoke;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.serde.annotation.Serdeable;

/**
 * A function's reserved concurrency, as Lambda's PutFunctionConcurrency.
 *
 * @param reservedConcurrentExecutions at most this many invocations at once; 0 throttles all; null
 *     (reading only): none reserved, the platform default applies
 */
@Serdeable
public record ConcurrencyView(@Nullable Integer reservedConcurrentExecutions) {}

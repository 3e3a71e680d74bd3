package dev.faaster.api.invoke;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.serde.annotation.Serdeable;

/**
 * The body of a function error (status 200, {@code X-Faaster-Function-Error: Unhandled}), shaped as
 * Lambda's.
 *
 * @param errorType the runtime's or the platform's type: an exception class, {@code Runtime.ExitError},
 *     {@code TimeoutError}, {@code Runtime.InstanceCrashed}
 * @param errorMessage what went wrong
 * @param trace the function's stack trace, when its runtime gave one
 */
@Serdeable
public record FunctionErrorView(String errorType, String errorMessage, @Nullable String trace) {}

package dev.faaster.api.invoke;

import dev.faaster.workflows.invoke.AsyncInvocationResult;
import io.micronaut.core.annotation.Nullable;

/**
 * Where an asynchronous invocation stands, as recorded by its workflow.
 *
 * @param tenantId the tenant that sent it
 * @param functionId the function record it was accepted for
 * @param functionName that function's name
 * @param version the version it runs
 * @param running whether it is still running (or waiting to retry)
 * @param result how it ended, once it did normally
 * @param abnormalEnd how its workflow ended otherwise (e.g. TERMINATED by an operator), or null
 */
public record AsyncInvocationState(
    String tenantId,
    String functionId,
    String functionName,
    int version,
    boolean running,
    @Nullable AsyncInvocationResult result,
    @Nullable String abnormalEnd) {}

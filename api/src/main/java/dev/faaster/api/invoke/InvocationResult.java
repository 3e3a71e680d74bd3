package dev.faaster.api.invoke;

import dev.faaster.workflows.coldstart.ColdStartResult;
import io.micronaut.core.annotation.Nullable;

/**
 * One finished invocation.
 *
 * @param outcome what the function did
 * @param instanceId the instance that ran it (or was starting for it)
 * @param version the version that ran
 * @param cold whether it waited for a cold start
 * @param coldStart the cold start it waited for, with its stages; null when warm or never ready
 * @param invocationId the id the function saw
 */
public record InvocationResult(
    InvocationOutcome outcome,
    String instanceId,
    int version,
    boolean cold,
    @Nullable ColdStartResult coldStart,
    String invocationId) {}

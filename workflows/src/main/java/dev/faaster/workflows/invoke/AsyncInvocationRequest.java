package dev.faaster.workflows.invoke;

import java.time.Duration;

/**
 * An accepted event, resolved to one version when it was accepted (retries run the same version).
 *
 * @param invocationId the id the API answered with
 * @param tenantId the caller's tenant
 * @param functionId the function record's id (a deleted and re-created function is another one)
 * @param functionName its name, as the router's target is looked up by it
 * @param version the version chosen when the event was accepted (the alias resolved then)
 * @param event the event bytes
 * @param maxAttempts attempts in all (1: no retry)
 * @param attemptTimeout bound of one attempt: the function's timeout plus the cold start allowance
 * @param maxEventAge how long a throttled or refused event keeps being retried
 */
public record AsyncInvocationRequest(
    String invocationId,
    String tenantId,
    String functionId,
    String functionName,
    int version,
    byte[] event,
    int maxAttempts,
    Duration attemptTimeout,
    Duration maxEventAge) {}

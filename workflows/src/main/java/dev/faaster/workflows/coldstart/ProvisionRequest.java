package dev.faaster.workflows.coldstart;

import java.util.List;

/**
 * Instances of one function version to bring up together: provisioned concurrency, prewarming, or
 * a scale-out of the version by N.
 *
 * @param template what every instance runs, resolved by the caller from the published version as
 *     for a cold start; its {@code instanceId} is not used
 * @param instanceIds the new instances' ids: distinct, at most {@link
 *     ProvisionInstancesWorkflow#MAX_INSTANCES} (more instances are several workflows)
 */
public record ProvisionRequest(ColdStartRequest template, List<String> instanceIds) {}

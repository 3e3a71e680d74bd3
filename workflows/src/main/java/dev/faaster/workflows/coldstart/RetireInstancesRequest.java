package dev.faaster.workflows.coldstart;

import java.util.List;

/**
 * Instances to take down together (a scale-in, the end of provisioned concurrency).
 *
 * @param instances each instance with its node and reason, as for {@link RetireInstanceWorkflow}; at
 *     most {@link ProvisionInstancesWorkflow#MAX_INSTANCES}, each id once
 */
public record RetireInstancesRequest(List<RetireRequest> instances) {}

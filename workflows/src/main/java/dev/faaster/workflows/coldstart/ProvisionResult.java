package dev.faaster.workflows.coldstart;

import java.util.List;

/**
 * How a provisioning batch ended: every instance's outcome, in request order, and the batch's
 * stage timings.
 *
 * @param instances one per requested instance, in request order
 * @param ready how many are ready
 * @param failed how many failed (and were undone, unless their {@code undone} says otherwise)
 * @param stages the batch's stage breakdown
 */
public record ProvisionResult(List<ProvisionedInstance> instances, int ready, int failed, ProvisionStages stages) {}

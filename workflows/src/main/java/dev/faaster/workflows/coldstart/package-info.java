/**
 * The cold start: one {@link dev.faaster.workflows.coldstart.ColdStartWorkflow} per instance takes a
 * slot, restores (or boots) the VM on the slot's node, brings the code there through the cache
 * tiers, attaches the proxy routes and loads the code into the guest; {@link
 * dev.faaster.workflows.coldstart.RetireInstanceWorkflow} undoes all of it when the instance goes.
 * {@link dev.faaster.workflows.coldstart.ProvisionInstancesWorkflow} does the same steps for up to
 * 1,000 instances of one version at once (provisioned concurrency, prewarming, scale-out), one call
 * per step per node, and {@link dev.faaster.workflows.coldstart.RetireInstancesWorkflow} takes them
 * down.
 */
package dev.faaster.workflows.coldstart;

/**
 * The cold start: one {@link dev.faaster.workflows.coldstart.ColdStartWorkflow} per instance takes a
 * slot, restores (or boots) the VM on the slot's node, brings the code there through the cache
 * tiers, attaches the proxy routes and loads the code into the guest; {@link
 * dev.faaster.workflows.coldstart.RetireInstanceWorkflow} undoes all of it when the instance goes.
 */
package dev.faaster.workflows.coldstart;

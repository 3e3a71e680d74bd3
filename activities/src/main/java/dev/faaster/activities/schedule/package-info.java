/**
 * The scheduler's I/O: nodes register their slots and heartbeat, the control plane reserves and
 * frees slots in the registry, withdraws lost nodes and rebalances flavors (policies in {@link
 * dev.faaster.workflows.schedule}).
 */
package dev.faaster.activities.schedule;

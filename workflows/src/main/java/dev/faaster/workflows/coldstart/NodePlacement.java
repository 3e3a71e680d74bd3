package dev.faaster.workflows.coldstart;

import dev.faaster.workflows.schedule.SlotGrant;

/**
 * A slot the caller reserved before starting the cold start on the slot's node task queue, so that
 * the node's own worker runs the workflow and its node steps as local activities (no dispatch round
 * trip per step). The workflow owns the slot from its start: its compensation releases it.
 *
 * @param slot the reserved slot; its node runs the workflow
 * @param scheduleMillis how long the reservation took (the cold start's schedule stage)
 */
public record NodePlacement(SlotGrant slot, long scheduleMillis) {}

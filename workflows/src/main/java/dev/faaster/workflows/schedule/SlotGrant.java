package dev.faaster.workflows.schedule;

/**
 * A slot taken for one instance.
 *
 * @param slotId the slot
 * @param nodeId the node whose capacity it is (the instance's VM steps go to its task queue)
 * @param flavorMb the slot's flavor: the smallest standard flavor that holds the function's memory
 */
public record SlotGrant(String slotId, String nodeId, int flavorMb) {}

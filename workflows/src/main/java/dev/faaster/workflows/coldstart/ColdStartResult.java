package dev.faaster.workflows.coldstart;

/**
 * A ready instance: where it runs and how its cold start went.
 *
 * @param instanceId the instance
 * @param nodeId node that runs it (and owns its slot)
 * @param slotId the slot it holds
 * @param agentSocket the node-local path of its guest agent's socket (the router invokes through it)
 * @param mode how its VM was made
 * @param codeSource the cache tier that served the code: l1, l2 or origin
 * @param stages the stage breakdown
 */
public record ColdStartResult(
    String instanceId,
    String nodeId,
    String slotId,
    String agentSocket,
    StartMode mode,
    String codeSource,
    ColdStartStages stages) {}

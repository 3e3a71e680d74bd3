package dev.faaster.workflows.coldstart;

/**
 * One instance of a provisioning batch: ready, or why not.
 *
 * @param instanceId the instance
 * @param nodeId the node of its slot (null when it got none)
 * @param slotId its slot (null when it got none; a failed instance's slot is freed unless {@code
 *     undone} is false)
 * @param agentSocket the node-local path of its guest agent's socket when ready (the router invokes
 *     through it), else null
 * @param codeSource the cache tier that served its code when ready: l1, l2 or origin
 * @param failedStep null when ready, else the first step that failed for it
 * @param failureType the failure's type ({@link ColdStartFailureTypes}, a code or instance failure
 *     type, or the error's class); null when ready
 * @param failure what went wrong; null when ready
 * @param undone for a failed instance: whether everything its steps made was undone (VM destroyed,
 *     code released, routes detached, slot freed). False means the undo failed for good and the
 *     node's reconciler owns what is left; always false for a ready instance.
 */
public record ProvisionedInstance(
    String instanceId,
    String nodeId,
    String slotId,
    String agentSocket,
    String codeSource,
    ProvisionStep failedStep,
    String failureType,
    String failure,
    boolean undone) {

  /** Whether the instance is ready to serve. */
  public boolean ready() {
    return failedStep == null;
  }
}

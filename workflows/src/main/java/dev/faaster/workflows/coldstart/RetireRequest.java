package dev.faaster.workflows.coldstart;

/**
 * An instance to take down.
 *
 * @param instanceId the instance
 * @param nodeId the node that runs it (its task queue gets the VM, code and route steps)
 * @param reason why, for logs and the Web UI: {@code idle}, {@code timeout}, {@code crashed},
 *     {@code node-lost}, {@code function-deleted}
 */
public record RetireRequest(String instanceId, String nodeId, String reason) {}

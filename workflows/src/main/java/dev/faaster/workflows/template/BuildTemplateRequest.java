package dev.faaster.workflows.template;

/**
 * Build (or reuse) the template of one runtime on one node.
 *
 * @param nodeId the node whose hypervisor boots the base VM and whose /dev/shm keeps the state
 * @param runtime {@code provided} or {@code python3}
 */
public record BuildTemplateRequest(String nodeId, String runtime) {}

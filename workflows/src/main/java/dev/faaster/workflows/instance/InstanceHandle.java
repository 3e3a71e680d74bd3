package dev.faaster.workflows.instance;

/**
 * A running instance restored from a template.
 *
 * @param instanceId platform id (the workflow's)
 * @param nodeId node whose hypervisor runs it
 * @param domainName libvirt domain
 * @param domainUuid libvirt UUID
 * @param mac its NIC's MAC address
 * @param hostname the guest's hostname after SET_IDENTITY
 * @param agentSocket node-local path of the guest agent's socket
 * @param restoreMillis restore start to the agent's answer
 * @param pooled whether the QEMU process was pre-created (off the cold path)
 */
public record InstanceHandle(
    String instanceId,
    String nodeId,
    String domainName,
    String domainUuid,
    String mac,
    String hostname,
    String agentSocket,
    long restoreMillis,
    boolean pooled) {}

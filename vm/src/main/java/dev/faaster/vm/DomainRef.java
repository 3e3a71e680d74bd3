package dev.faaster.vm;

import java.util.UUID;

/**
 * A domain as the hypervisor lists it.
 *
 * @param name libvirt name
 * @param uuid libvirt UUID
 * @param active whether it runs (transient domains are always active while they exist)
 */
public record DomainRef(String name, UUID uuid, boolean active) {}

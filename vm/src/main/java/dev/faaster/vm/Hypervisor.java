package dev.faaster.vm;

import java.util.List;
import java.util.OptionalLong;

/**
 * The narrow slice of libvirt the VM code needs: transient domains, their QEMU monitor, destroy
 * and list. {@link LibvirtHypervisor} implements it; tests may fake it.
 */
public interface Hypervisor extends AutoCloseable {

  /** The libvirt URI this hypervisor is connected to, e.g. {@code qemu:///system}. */
  String uri();

  /** The hypervisor's version as {@code major.minor.micro} (QEMU's for qemu:///system). */
  String version();

  /**
   * Starts a transient domain (it disappears when destroyed or when QEMU exits).
   *
   * @throws HypervisorException if libvirt refuses the XML or QEMU does not start
   */
  DomainRef create(String domainXml);

  /**
   * Sends one QMP command (a JSON object such as {@code {"execute":"stop"}}) to the domain's QEMU
   * and returns QEMU's raw JSON reply; an {@code error} reply is returned, not thrown.
   *
   * @throws HypervisorException if the domain doesn't exist or the monitor is unreachable
   */
  String qmp(String domainName, String command);

  /** The domain's live XML as libvirt expanded it (e.g. the versioned machine type). */
  String liveXml(String domainName);

  /**
   * Destroys (hard-stops) a domain. Idempotent: a domain that doesn't exist is not an error.
   *
   * @return true if a domain was destroyed, false if none had that name
   */
  boolean destroy(String domainName);

  /** Domains whose name starts with {@code namePrefix} (all of them for ""). */
  List<DomainRef> list(String namePrefix);

  /**
   * Whether the domain's QEMU still runs. Cheap when the QEMU pid is visible (a /proc lookup, no
   * libvirt call); otherwise asks libvirt.
   */
  boolean isAlive(String domainName);

  /** PID of the domain's QEMU process, when this host can see it (local qemu driver). */
  OptionalLong qemuPid(String domainName);

  @Override
  void close();
}

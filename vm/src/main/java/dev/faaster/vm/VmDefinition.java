package dev.faaster.vm;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Everything a template and its clones must agree on: the same devices, machine, CPU count,
 * memory size and memory file. A clone's QEMU loads the template's device state, which only works
 * when both QEMUs were started from the same definition; {@link DomainXml} renders both roles from
 * one of these so they can't drift apart.
 *
 * @param accelerator KVM or TCG
 * @param flavor memory and vCPUs
 * @param machine QEMU machine type; {@code pc} until a template pins the versioned name libvirt
 *     expanded it to (e.g. {@code pc-i440fx-7.2})
 * @param emulator QEMU binary
 * @param kernel guest kernel (direct kernel boot)
 * @param initramfs guest initramfs
 * @param cmdline kernel command line
 * @param memoryFile the template memory file (under /dev/shm): mapped shared by the template,
 *     private (copy-on-write) by clones
 * @param network whether the domain gets a virtio-net NIC on QEMU user-mode networking (no host
 *     setup needed; each instance gets its own MAC)
 * @param codeShare whether the domain gets a read-only 9p file share (mount tag {@link
 *     DomainXml#CODE_SHARE_TAG}) that its instance reads its package from in place
 */
public record VmDefinition(
    Accelerator accelerator,
    Flavor flavor,
    String machine,
    Path emulator,
    Path kernel,
    Path initramfs,
    String cmdline,
    Path memoryFile,
    boolean network,
    boolean codeShare) {

  /** A definition without a code share. */
  public VmDefinition(Accelerator accelerator, Flavor flavor, String machine, Path emulator, Path kernel, Path initramfs,
      String cmdline, Path memoryFile, boolean network) {
    this(accelerator, flavor, machine, emulator, kernel, initramfs, cmdline, memoryFile, network, false);
  }

  public static final Path DEFAULT_EMULATOR = Path.of("/usr/bin/qemu-system-x86_64");
  public static final String DEFAULT_MACHINE = "pc";

  public VmDefinition {
    Objects.requireNonNull(accelerator, "accelerator");
    Objects.requireNonNull(flavor, "flavor");
    Objects.requireNonNull(machine, "machine");
    Objects.requireNonNull(emulator, "emulator");
    Objects.requireNonNull(kernel, "kernel");
    Objects.requireNonNull(initramfs, "initramfs");
    Objects.requireNonNull(cmdline, "cmdline");
    Objects.requireNonNull(memoryFile, "memoryFile");
    // QEMU's option syntax would need ",," for a comma; no platform path has one.
    if (memoryFile.toString().contains(",")) {
      throw new IllegalArgumentException("memory file path must not contain ',': " + memoryFile);
    }
  }

  /** The same definition with another machine type (a template pins the expanded name). */
  public VmDefinition withMachine(String newMachine) {
    return new VmDefinition(accelerator, flavor, newMachine, emulator, kernel, initramfs, cmdline, memoryFile, network, codeShare);
  }

  /** The same definition with another accelerator. */
  public VmDefinition withAccelerator(Accelerator newAccelerator) {
    return new VmDefinition(newAccelerator, flavor, machine, emulator, kernel, initramfs, cmdline, memoryFile, network, codeShare);
  }
}

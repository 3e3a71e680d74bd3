package dev.faaster.vm;

import java.nio.file.Path;

/**
 * Renders libvirt domain XML for templates and clones from one {@link VmDefinition}.
 *
 * <p>Template and clone differ only in identity (name, UUID, MAC), their per-domain files, the
 * {@code share=} flag of the memory backend and the clone's {@code -incoming defer}. Everything
 * else is identical, because the clone's QEMU loads the template's device state.
 *
 * <p>Guest RAM comes from {@code -object memory-backend-file,id=tmem,...} and
 * {@code -machine memory-backend=tmem} through libvirt's qemu:commandline namespace: libvirt 9.0
 * has no domain XML for a file backend with {@code share=off} on a path we choose. libvirt still
 * adds its own {@code memory-backend-ram} for {@code <memory>}; the later {@code -machine} option
 * wins and that backend is never touched, so it costs no memory.
 */
public final class DomainXml {

  /** libvirt's namespace for raw QEMU arguments. */
  public static final String QEMU_NS = "http://libvirt.org/schemas/domain/qemu/1.0";
  /** Name of the guest agent's virtio-serial port, as the guest sees it in /sys/class/virtio-ports. */
  public static final String AGENT_PORT = "dev.faaster.agent";
  /** QOM id of the file-backed RAM. */
  public static final String MEMORY_BACKEND_ID = "tmem";
  /** Mount tag of the code share (the guest agent mounts it by this name; see guest/PROTOCOL.md). */
  public static final String CODE_SHARE_TAG = "faaster.code";

  private DomainXml() {}

  /** The domain XML of {@code identity} in {@code role}. */
  public static String render(VmDefinition def, VmRole role, VmIdentity identity, DomainPaths paths) {
    StringBuilder x = new StringBuilder(2048);
    x.append("<domain type='").append(def.accelerator().domainType()).append("' xmlns:qemu='").append(QEMU_NS).append("'>\n");
    x.append("  <name>").append(esc(identity.name())).append("</name>\n");
    x.append("  <uuid>").append(identity.uuid()).append("</uuid>\n");
    x.append("  <description>faaster ").append(role.name().toLowerCase(java.util.Locale.ROOT)).append("</description>\n");
    x.append("  <memory unit='MiB'>").append(def.flavor().memoryMiB()).append("</memory>\n");
    x.append("  <vcpu>").append(def.flavor().vcpus()).append("</vcpu>\n");
    x.append("  <os>\n");
    x.append("    <type arch='x86_64' machine='").append(esc(def.machine())).append("'>hvm</type>\n");
    x.append("    <kernel>").append(esc(path(def.kernel()))).append("</kernel>\n");
    x.append("    <initrd>").append(esc(path(def.initramfs()))).append("</initrd>\n");
    x.append("    <cmdline>").append(esc(def.cmdline())).append("</cmdline>\n");
    x.append("  </os>\n");
    x.append("  <features><acpi/></features>\n");
    x.append("  <clock offset='utc'/>\n");
    x.append("  <on_poweroff>destroy</on_poweroff>\n");
    x.append("  <on_reboot>destroy</on_reboot>\n");
    x.append("  <on_crash>destroy</on_crash>\n");
    x.append("  <devices>\n");
    x.append("    <emulator>").append(esc(path(def.emulator()))).append("</emulator>\n");
    x.append("    <serial type='file'><source path='").append(esc(path(paths.console()))).append("'/><target port='0'/></serial>\n");
    x.append("    <channel type='unix'><source mode='bind' path='").append(esc(path(paths.agentSocket())))
        .append("'/><target type='virtio' name='").append(AGENT_PORT).append("'/></channel>\n");
    if (def.network()) {
      // No option ROM: direct kernel boot needs no PXE, and a ROM is guest RAM outside the shared
      // file that every restore would have to stream (~290 KB).
      x.append("    <interface type='user'><mac address='").append(identity.mac())
          .append("'/><model type='virtio'/><rom enabled='no'/></interface>\n");
    }
    if (def.codeShare()) {
      if (paths.codeShare() == null) {
        throw new IllegalArgumentException("definition has a code share but no directory was given for " + identity.name());
      }
      // Read-only: the guest reads the node's unpacked package in place and can change nothing.
      // Not mounted until after a restore: QEMU refuses to migrate (save a template) while a 9p
      // export is mounted.
      x.append("    <filesystem type='mount' accessmode='passthrough'><driver type='path'/><source dir='")
          .append(esc(path(paths.codeShare()))).append("'/><target dir='").append(CODE_SHARE_TAG)
          .append("'/><readonly/></filesystem>\n");
    }
    x.append("    <controller type='usb' model='none'/>\n");
    x.append("    <memballoon model='none'/>\n");
    x.append("  </devices>\n");
    if (role == VmRole.BOOT) {
      x.append("</domain>\n");
      return x.toString();
    }
    x.append("  <qemu:commandline>\n");
    arg(x, "-object");
    arg(x, "memory-backend-file,id=" + MEMORY_BACKEND_ID + ",size=" + def.flavor().memoryMiB() + "M,mem-path="
        + path(def.memoryFile()) + ",share=" + (role == VmRole.TEMPLATE ? "on" : "off"));
    arg(x, "-machine");
    arg(x, "memory-backend=" + MEMORY_BACKEND_ID);
    if (role == VmRole.CLONE) {
      arg(x, "-incoming");
      arg(x, "defer");
    }
    x.append("  </qemu:commandline>\n");
    x.append("</domain>\n");
    return x.toString();
  }

  private static void arg(StringBuilder x, String value) {
    x.append("    <qemu:arg value='").append(esc(value)).append("'/>\n");
  }

  private static String path(Path p) {
    return p.toAbsolutePath().normalize().toString();
  }

  static String esc(String s) {
    StringBuilder b = new StringBuilder(s.length() + 8);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '<' -> b.append("&lt;");
        case '>' -> b.append("&gt;");
        case '&' -> b.append("&amp;");
        case '\'' -> b.append("&apos;");
        case '"' -> b.append("&quot;");
        default -> {
          if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
            throw new IllegalArgumentException("control character in domain XML value: " + (int) c);
          }
          b.append(c);
        }
      }
    }
    return b.toString();
  }
}

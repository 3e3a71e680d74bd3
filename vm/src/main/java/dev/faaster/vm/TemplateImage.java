package dev.faaster.vm;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

/**
 * A saved, booted and warmed guest that clones are restored from: its RAM in a shared file (clones
 * map it copy-on-write) and its CPU and device state in a small file, both under /dev/shm.
 *
 * @param id template id (the name its domain had; also the stem of its files)
 * @param runtime the runtime its image carries
 * @param definition what every clone's domain is rendered from (machine pinned to the versioned
 *     type libvirt chose, e.g. {@code pc-i440fx-7.2})
 * @param stateFile CPU and device state saved with x-ignore-shared (RAM excluded)
 * @param stateBytes size of the state file
 * @param qemuVersion QEMU that saved it; another QEMU may not load the state
 * @param kernelSha256 digest of the kernel it booted
 * @param initramfsSha256 digest of the initramfs it booted
 * @param builtAt when the save completed
 * @param bootToAgent from domain creation to the agent's first answer
 * @param save from starting the migration to the state file being complete
 * @param resumesOnLoad whether the state was saved from a running guest (a live migration, which
 *     pauses the vCPUs itself at its end): clones started with autostart then run as soon as the
 *     state is loaded, with no {@code cont} on the cold path. False for a state saved from a
 *     paused guest: clones stay paused after loading and need {@code cont}.
 */
public record TemplateImage(
    String id,
    String runtime,
    VmDefinition definition,
    Path stateFile,
    long stateBytes,
    String qemuVersion,
    String kernelSha256,
    String initramfsSha256,
    Instant builtAt,
    Duration bootToAgent,
    Duration save,
    boolean resumesOnLoad) {

  public Path memoryFile() {
    return definition.memoryFile();
  }

  public String machine() {
    return definition.machine();
  }

  public Accelerator accelerator() {
    return definition.accelerator();
  }

  public int memoryMiB() {
    return definition.flavor().memoryMiB();
  }

  /** Whether this template was built from exactly {@code image} (same runtime and digests). */
  public boolean builtFrom(GuestImage image) {
    return runtime.equals(image.runtime())
        && kernelSha256.equals(image.kernelSha256())
        && initramfsSha256.equals(image.initramfsSha256());
  }
}

package dev.faaster.vm;

import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.core.bind.annotation.Bindable;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Where and how this host runs micro VMs ({@code faaster.vm.*}).
 *
 * @param uri libvirt URI ({@code qemu:///system}; {@code test:///default} has no QEMU)
 * @param runDir per-domain sockets and console logs
 * @param shmDir template memory and state files (tmpfs, so clones map RAM, not disk)
 * @param emulator QEMU binary
 * @param namePrefix every domain this module creates is named with it; list/reconcile use it
 * @param accelerator {@code auto} (probe KVM, cache the decision), {@code kvm} or {@code tcg}
 * @param acceleratorCache file holding this host's probe decision
 * @param probeTimeout bound of the KVM probe boot; the caller never waits much longer
 * @param bootTimeout template boot to the agent's first answer (TCG on 2 busy cores is slow)
 * @param restoreTimeout clone restore to the agent's first answer
 * @param saveTimeout template pause to a complete state file
 * @param poolSize clones kept pre-created per template (QEMU started, waiting for state)
 * @param network give domains a virtio-net NIC on QEMU user-mode networking
 * @param memoryMiB guest RAM of the default flavor
 * @param shareDir per-domain code shares (read-only 9p exports, {@code <shareDir>/<domain>/}) that
 *     instances read their unpacked package from in place; on the file system of the node's code
 *     cache, whose files are linked in, not copied. Null: no share, packages go inline in LOAD_CODE
 */
@ConfigurationProperties("faaster.vm")
public record VmSettings(
    @Bindable(defaultValue = "qemu:///system") String uri,
    @Bindable(defaultValue = "/run/faaster/vm") Path runDir,
    @Bindable(defaultValue = "/dev/shm/faaster") Path shmDir,
    @Bindable(defaultValue = "/usr/bin/qemu-system-x86_64") Path emulator,
    @Bindable(defaultValue = "faaster-") String namePrefix,
    @Bindable(defaultValue = "auto") String accelerator,
    @Bindable(defaultValue = "/var/lib/faaster/accelerator.properties") Path acceleratorCache,
    @Bindable(defaultValue = "10s") Duration probeTimeout,
    @Bindable(defaultValue = "120s") Duration bootTimeout,
    @Bindable(defaultValue = "10s") Duration restoreTimeout,
    @Bindable(defaultValue = "20s") Duration saveTimeout,
    @Bindable(defaultValue = "2") int poolSize,
    @Bindable(defaultValue = "false") boolean network,
    @Bindable(defaultValue = "128") int memoryMiB,
    @Nullable Path shareDir) {

  public VmSettings {
    // QEMU needs an absolute export path; an empty setting means no share.
    shareDir = shareDir == null || shareDir.toString().isEmpty() ? null : shareDir.toAbsolutePath().normalize();
  }

  /** The defaults above, for code that runs without a Micronaut context. */
  public static VmSettings defaults() {
    return new VmSettings(
        "qemu:///system",
        Path.of("/run/faaster/vm"),
        Path.of("/dev/shm/faaster"),
        VmDefinition.DEFAULT_EMULATOR,
        "faaster-",
        "auto",
        Path.of("/var/lib/faaster/accelerator.properties"),
        Duration.ofSeconds(10),
        Duration.ofSeconds(120),
        Duration.ofSeconds(10),
        Duration.ofSeconds(20),
        2,
        false,
        128,
        null);
  }

  public Flavor flavor() {
    return new Flavor(memoryMiB, 1);
  }

  /** Name prefix of template domains. */
  public String templatePrefix() {
    return namePrefix + "t-";
  }

  /** Name prefix of clone domains. */
  public String clonePrefix() {
    return namePrefix + "c-";
  }

  /** Name prefix of accelerator probe domains. */
  public String probePrefix() {
    return namePrefix + "probe-";
  }

  public VmSettings withUri(String newUri) {
    return new VmSettings(newUri, runDir, shmDir, emulator, namePrefix, accelerator, acceleratorCache, probeTimeout,
        bootTimeout, restoreTimeout, saveTimeout, poolSize, network, memoryMiB, shareDir);
  }

  public VmSettings withDirs(Path newRunDir, Path newShmDir) {
    return new VmSettings(uri, newRunDir, newShmDir, emulator, namePrefix, accelerator, acceleratorCache, probeTimeout,
        bootTimeout, restoreTimeout, saveTimeout, poolSize, network, memoryMiB, shareDir);
  }

  public VmSettings withAccelerator(String newAccelerator, Path newCache) {
    return new VmSettings(uri, runDir, shmDir, emulator, namePrefix, newAccelerator, newCache, probeTimeout,
        bootTimeout, restoreTimeout, saveTimeout, poolSize, network, memoryMiB, shareDir);
  }

  public VmSettings withPoolSize(int newPoolSize) {
    return new VmSettings(uri, runDir, shmDir, emulator, namePrefix, accelerator, acceleratorCache, probeTimeout,
        bootTimeout, restoreTimeout, saveTimeout, newPoolSize, network, memoryMiB, shareDir);
  }

  public VmSettings withNetwork(boolean newNetwork) {
    return new VmSettings(uri, runDir, shmDir, emulator, namePrefix, accelerator, acceleratorCache, probeTimeout,
        bootTimeout, restoreTimeout, saveTimeout, poolSize, newNetwork, memoryMiB, shareDir);
  }

  public VmSettings withShareDir(@Nullable Path newShareDir) {
    return new VmSettings(uri, runDir, shmDir, emulator, namePrefix, accelerator, acceleratorCache, probeTimeout,
        bootTimeout, restoreTimeout, saveTimeout, poolSize, network, memoryMiB, newShareDir);
  }

  /** The files of domain {@code name}: under the run directory, and its code share if there is one. */
  public DomainPaths paths(String name) {
    return DomainPaths.of(runDir, shareDir, name);
  }
}

package dev.faaster.vm;

import io.micronaut.core.annotation.Nullable;
import java.nio.file.Path;

/**
 * Host files belonging to one domain, all under the run directory and named after the domain.
 *
 * @param agentSocket unix socket of the guest agent's virtio-serial port (QEMU listens)
 * @param console serial console log
 * @param migrationSocket unix socket carrying the device state (template: the host listens and
 *     QEMU sends; clone: QEMU listens and the host sends)
 * @param codeShare directory the domain's read-only code share exports (9p); null when the node
 *     has none
 */
public record DomainPaths(Path agentSocket, Path console, Path migrationSocket, @Nullable Path codeShare) {

  /** Unix socket paths are limited to 107 bytes on Linux. */
  static final int MAX_SOCKET_PATH = 107;

  public DomainPaths {
    for (Path p : new Path[] {agentSocket, migrationSocket}) {
      if (p.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length > MAX_SOCKET_PATH) {
        throw new IllegalArgumentException("unix socket path longer than " + MAX_SOCKET_PATH + " bytes: " + p);
      }
    }
  }

  /** The paths of domain {@code name} under {@code runDir}, without a code share. */
  public static DomainPaths of(Path runDir, String name) {
    return of(runDir, null, name);
  }

  /** The paths of domain {@code name} under {@code runDir}, its code share under {@code shareDir} (or none). */
  public static DomainPaths of(Path runDir, @Nullable Path shareDir, String name) {
    return new DomainPaths(runDir.resolve(name + ".agent"), runDir.resolve(name + ".console"),
        runDir.resolve(name + ".migrate"), shareDir == null ? null : shareDir.resolve(name));
  }
}

package dev.faaster.vm;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.OptionalLong;

/**
 * A running clone of a template, answering through its agent.
 *
 * @param identity libvirt name, UUID and MAC; distinct for every instance
 * @param templateId the template it was restored from
 * @param paths its agent socket and console log
 * @param qemuPid its QEMU process (-1 when not visible, e.g. on the test driver)
 * @param timings how long each restore step took
 */
public record Instance(VmIdentity identity, String templateId, DomainPaths paths, long qemuPid, Timings timings) {

  public String name() {
    return identity.name();
  }

  public Path agentSocket() {
    return paths.agentSocket();
  }

  /** Current PSS of its QEMU process in KiB. */
  public OptionalLong pssKiB() {
    return qemuPid > 0 ? Pss.kib(qemuPid) : OptionalLong.empty();
  }

  /**
   * Restore timings. Everything after {@code restoreStarted} is on the cold path; process start is
   * not when the clone came from the pool.
   *
   * @param processStarted when its QEMU was started (pre-created: long before the restore)
   * @param processStart how long creating the domain took (QEMU start, libvirt's setup)
   * @param pooled whether the clone was pre-created (its process start was off the cold path)
   * @param restoreStarted when restore was called
   * @param loaded restore call to device state loaded (state streamed in, QEMU paused)
   * @param resumed restore call to vCPUs running
   * @param agentAnswered restore call to the agent's first answer
   */
  public record Timings(
      Instant processStarted,
      Duration processStart,
      boolean pooled,
      Instant restoreStarted,
      Duration loaded,
      Duration resumed,
      Duration agentAnswered) {}
}

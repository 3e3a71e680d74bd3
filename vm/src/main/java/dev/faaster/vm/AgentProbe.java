package dev.faaster.vm;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Decides when a guest counts as up: its agent answered on the virtio-serial socket. The VM code
 * only needs this one question answered; {@link AgentClient} answers it with the agent protocol.
 */
@FunctionalInterface
public interface AgentProbe {

  /**
   * Blocks until the agent behind {@code agentSocket} answers, connecting again as needed (the
   * socket exists as soon as QEMU runs; the guest opens its end later).
   *
   * @throws AgentException if it hasn't answered within {@code timeout}
   * @throws InterruptedException if interrupted while waiting
   */
  void awaitAnswer(Path agentSocket, Duration timeout) throws InterruptedException;
}

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

  /**
   * Like {@link #awaitAnswer} but hands over a connection to the answering agent, which the caller
   * then owns. A probe that proves readiness over a connection should return that one: under TCG
   * the guest takes tens to hundreds of milliseconds to notice a host that reconnects. The default
   * waits, then connects again.
   *
   * @throws AgentException if it hasn't answered within {@code timeout}
   * @throws InterruptedException if interrupted while waiting
   */
  default AgentClient connectWhenReady(Path agentSocket, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    awaitAnswer(agentSocket, timeout);
    return AgentClient.connect(agentSocket, Duration.ofNanos(Math.max(1_000_000, deadline - System.nanoTime())));
  }
}

package dev.faaster.vm;

import io.micronaut.core.annotation.Nullable;
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

  /**
   * Connects to the agent socket of a clone whose guest has not run yet (QEMU listens from its
   * start), to ask {@link #awaitReady} on once its state is loaded; null when this probe keeps no
   * connections (the default), and the restore probes with {@link #awaitAnswer} instead.
   *
   * <p>Why: a template is saved with its host connected, so a clone whose host is connected when
   * the state loads resumes with nothing changed on its channel: its agent answers on the read it
   * was blocked in. A host that connects after the restore makes the guest handle a reconnect
   * first (a control message, a kernel worker, the agent's new connection), guest code that under
   * TCG a fresh QEMU translates before the first answer (about 900 blocks of some 5,500, measured).
   *
   * @throws AgentException if the socket can't be connected within {@code timeout}
   * @throws InterruptedException if interrupted while waiting
   */
  default @Nullable AgentClient connectAhead(Path agentSocket, Duration timeout) throws InterruptedException {
    return null;
  }

  /**
   * Asks the agent on {@code client} until it reports its runtime ready, as {@link
   * #connectWhenReady} does on a connection of its own.
   *
   * @throws AgentException if it hasn't within {@code timeout}, or the connection fails
   * @throws InterruptedException if interrupted while waiting
   */
  default AgentMessages.Status awaitReady(AgentClient client, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    AgentMessages.Status st = client.awaitReady(timeout);
    while (!st.runtimeReady()) {
      if (System.nanoTime() - deadline >= 0) {
        throw new AgentException("agent answers but its runtime " + st.runtime() + " is not ready");
      }
      Thread.sleep(20);
      st = client.ping(Duration.ofNanos(Math.max(1_000_000, deadline - System.nanoTime())));
    }
    return st;
  }
}

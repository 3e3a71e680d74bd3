package dev.faaster.vm;

import jakarta.inject.Singleton;
import java.nio.file.Path;
import java.time.Duration;

/**
 * {@link AgentProbe} on the agent protocol: a guest is up when its agent reports READY with its
 * runtime warmed ({@code runtimeReady}); a template must not be saved before that, or every clone
 * would warm the runtime again. Reconnects when the connection breaks (the agent restarts its
 * serve loop when the host leaves).
 */
@Singleton
public final class AgentReadiness implements AgentProbe {

  @Override
  public void awaitAnswer(Path agentSocket, Duration timeout) throws InterruptedException {
    connectWhenReady(agentSocket, timeout).close();
  }

  /** The connection that saw the agent ready, left open: the caller owns it. */
  @Override
  public AgentClient connectWhenReady(Path agentSocket, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    AgentException last = null;
    while (System.nanoTime() - deadline < 0) {
      AgentClient c = null;
      try {
        c = AgentClient.connect(agentSocket, left(deadline));
        awaitReady(c, left(deadline));
        AgentClient ready = c;
        c = null;
        return ready;
      } catch (AgentException e) {
        last = e;
        if (System.nanoTime() - deadline < 0) {
          Thread.sleep(10);
        }
      } finally {
        if (c != null) {
          c.close();
        }
      }
    }
    throw new AgentException("agent at " + agentSocket + " not ready within " + timeout
        + (last == null ? "" : ": " + last.getMessage()), last);
  }

  /** A connection to the socket, asked nothing yet (the guest may not run yet): see {@link AgentProbe}. */
  @Override
  public AgentClient connectAhead(Path agentSocket, Duration timeout) throws InterruptedException {
    return AgentClient.connect(agentSocket, timeout);
  }

  private static Duration left(long deadline) {
    return Duration.ofNanos(Math.max(1_000_000, deadline - System.nanoTime()));
  }
}

package dev.faaster.vm;

import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One long-lived host connection per running instance's agent, shared by everything in this process
 * that talks to it (identity, code loading, and invocations when the router runs here too). Why not
 * a connection per step: when the host disconnects, the guest agent goes back to waiting for a host,
 * and under TCG noticing the next connection costs it tens to hundreds of milliseconds, once per
 * reconnect, on the cold path. An agent port takes one host at a time: whoever holds the connection
 * is the only one who can talk to that guest.
 */
@Singleton
public final class AgentConnections implements AutoCloseable {

  private final Map<Path, AgentClient> open = new ConcurrentHashMap<>();

  /**
   * The open connection to the agent at {@code socket}, connecting if there is none.
   *
   * @throws AgentException if no connection within {@code timeout}
   */
  public AgentClient acquire(Path socket, Duration timeout) throws InterruptedException {
    AgentClient existing = open.get(socket);
    if (existing != null) {
      return existing;
    }
    AgentClient fresh = AgentClient.connect(socket, timeout);
    AgentClient raced = open.putIfAbsent(socket, fresh);
    if (raced != null) {
      fresh.close();
      return raced;
    }
    return fresh;
  }

  /**
   * Takes over {@code client}, an open connection to the agent at {@code socket} (the one a
   * readiness probe answered on), as that agent's connection; one already held is closed.
   */
  public void adopt(Path socket, AgentClient client) {
    AgentClient previous = open.put(socket, client);
    if (previous != null && previous != client) {
      previous.close();
    }
  }

  /** Closes and forgets the connection (after it broke, or when the instance goes). Idempotent. */
  public void close(Path socket) {
    AgentClient client = open.remove(socket);
    if (client != null) {
      client.close();
    }
  }

  @Override
  @PreDestroy
  public void close() {
    for (Path socket : List.copyOf(open.keySet())) {
      close(socket);
    }
  }
}

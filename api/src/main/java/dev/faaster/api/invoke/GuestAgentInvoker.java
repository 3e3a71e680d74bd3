package dev.faaster.api.invoke;

import dev.faaster.vm.AgentClient;
import dev.faaster.vm.AgentConnections;
import dev.faaster.vm.AgentException;
import dev.faaster.vm.AgentMessages;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Invokes instances of this process's node through their guest agents, on the node's one
 * long-lived connection per instance ({@link AgentConnections}: the one the cold start loaded the
 * code on). The agent runs one job at a time, so invocations of one instance take turns on its
 * connection. A connection that breaks means a crashed instance; a guest that doesn't even report
 * its own timeout in time means a hung one (a timeout). Used by the router when the node runs in
 * its process and by the node's data plane ({@code NodeDataPlaneController}) otherwise.
 */
@Singleton
public class GuestAgentInvoker {

  private final AgentConnections connections;
  private final InvocationSettings settings;

  public GuestAgentInvoker(AgentConnections connections, InvocationSettings settings) {
    this.connections = connections;
    this.settings = settings;
  }

  /** Runs the event on the instance whose agent listens at {@code agentSocket}; never throws for what the guest did. */
  public InvocationOutcome invoke(String instanceId, Path agentSocket, byte[] event, Duration timeout, String invocationId) {
    AgentClient client;
    try {
      client = client(agentSocket);
    } catch (AgentException e) {
      return InvocationOutcome.crashed("Cannot reach the instance's agent: " + e.getMessage());
    }
    AgentMessages.InvokeResult result;
    try {
      // Half the grace for the reply to travel back; the router's own deadline is the whole grace.
      Duration deadline = timeout.plus(settings.invokeGrace().dividedBy(2));
      result = client.invoke(new AgentMessages.InvokeRequest(timeout.toMillis(), invocationId), event, deadline);
    } catch (AgentException e) {
      close(agentSocket);
      if (e.code() == null && !brokenConnection(e)) {
        return InvocationOutcome.timeout(
            "Task timed out after " + timeout.toSeconds() + " seconds (the instance did not answer).");
      }
      return InvocationOutcome.crashed("The instance failed during the invocation: " + e.getMessage());
    }
    AgentMessages.ResultMeta meta = result.meta();
    String status = meta.status() == null ? "" : meta.status();
    return switch (status) {
      case AgentMessages.STATUS_OK -> InvocationOutcome.ok(result.payload(), meta.durationMs());
      case AgentMessages.STATUS_TIMEOUT -> InvocationOutcome.timeout("Task timed out after " + timeout.toSeconds() + " seconds.");
      case AgentMessages.STATUS_FUNCTION_ERROR ->
          new InvocationOutcome(
              InvocationOutcome.Status.FUNCTION_ERROR,
              result.payload(),
              meta.errorType() == null ? "Runtime.Unknown" : meta.errorType(),
              meta.errorMessage() == null ? "" : meta.errorMessage(),
              meta.trace(),
              meta.durationMs());
      default -> InvocationOutcome.crashed("The instance's agent answered with an unknown status '" + status + "'.");
    };
  }

  private AgentClient client(Path socket) {
    try {
      return connections.acquire(socket, settings.agentConnectTimeout());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AgentException("interrupted while connecting to " + socket, e);
    }
  }

  /** Whether the failure was the connection breaking (EOF, reset) rather than a deadline passing. */
  private static boolean brokenConnection(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t instanceof IOException) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether the agent at {@code agentSocket} answers a ping as instance {@code instanceId} with its
   * code loaded; a broken connection, a silent agent or one that forgot its identity (the guest
   * rebooted) does not.
   */
  public boolean healthy(String instanceId, Path agentSocket, Duration timeout) {
    try {
      AgentMessages.Status status = client(agentSocket).ping(timeout);
      return instanceId.equals(status.instanceId()) && status.codeLoaded();
    } catch (AgentException e) {
      close(agentSocket);
      return false;
    }
  }

  /** Closes the connection to the agent at {@code agentSocket} (its instance was retired, or it broke). */
  public void close(Path agentSocket) {
    connections.close(agentSocket);
  }

}

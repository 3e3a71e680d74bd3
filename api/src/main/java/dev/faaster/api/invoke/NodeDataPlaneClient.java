package dev.faaster.api.invoke;

import io.micronaut.json.JsonMapper;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Optional;

/**
 * Invokes an instance on another node through that node's data plane (its HTTP endpoint, published
 * in the registry). The JDK's HTTP client keeps connections to each node open between invocations.
 * Like {@link GuestAgentInvoker} it never throws for what happened there: a node that can't be
 * reached or has lost the instance is a crashed instance (the router retires and replaces it); one
 * that doesn't answer within the function's timeout and the grace is a timeout.
 */
@Singleton
public class NodeDataPlaneClient {

  private final DataPlaneAddresses addresses;
  private final NodeDataPlaneSettings settings;
  private final InvocationSettings invocationSettings;
  private final JsonMapper json;
  private final HttpClient http;

  public NodeDataPlaneClient(
      DataPlaneAddresses addresses, NodeDataPlaneSettings settings, InvocationSettings invocationSettings, JsonMapper json) {
    this.addresses = addresses;
    this.settings = settings;
    this.invocationSettings = invocationSettings;
    this.json = json;
    this.http = HttpClient.newBuilder().connectTimeout(settings.connectTimeout()).build();
  }

  public InvocationOutcome invoke(String nodeId, String instanceId, byte[] event, Duration timeout, String invocationId) {
    if (!settings.enabled()) {
      return InvocationOutcome.crashed("Instance " + instanceId + " is on node " + nodeId
          + ", another process, and this API has no data plane token (faaster.node.data-plane.token) to reach it.");
    }
    Optional<String> url = addresses.of(nodeId);
    if (url.isEmpty()) {
      return InvocationOutcome.crashed("Node " + nodeId + " has not published its data plane; it can't be reached.");
    }
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(url.get() + NodeDataPlaneHeaders.invocationPath(instanceId)))
            .timeout(timeout.plus(invocationSettings.invokeGrace()))
            .header("Authorization", "Bearer " + settings.token())
            .header("Content-Type", "application/octet-stream")
            .header(NodeDataPlaneHeaders.TIMEOUT_MS, Long.toString(timeout.toMillis()))
            .header(NodeDataPlaneHeaders.INVOCATION_ID, invocationId)
            .POST(HttpRequest.BodyPublishers.ofByteArray(event))
            .build();
    HttpResponse<byte[]> response;
    try {
      response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
    } catch (HttpTimeoutException e) {
      return InvocationOutcome.timeout("Task timed out after " + timeout.toSeconds() + " seconds (node " + nodeId
          + " did not answer).");
    } catch (IOException e) {
      addresses.forget(nodeId);
      return InvocationOutcome.crashed("Node " + nodeId + " can't be reached: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return InvocationOutcome.crashed("The invocation was interrupted.");
    }
    return outcome(nodeId, instanceId, response);
  }

  private InvocationOutcome outcome(String nodeId, String instanceId, HttpResponse<byte[]> response) {
    if (response.statusCode() != 200) {
      return InvocationOutcome.crashed("Node " + nodeId + " answered " + response.statusCode() + " for instance "
          + instanceId + ": " + new String(response.body(), java.nio.charset.StandardCharsets.UTF_8));
    }
    String status = response.headers().firstValue(NodeDataPlaneHeaders.OUTCOME).orElse("");
    double duration = response.headers().firstValue(NodeDataPlaneHeaders.DURATION_MS).map(Double::parseDouble).orElse(0.0);
    InvocationOutcome.Status parsed;
    try {
      parsed = InvocationOutcome.Status.valueOf(status);
    } catch (IllegalArgumentException e) {
      return InvocationOutcome.crashed("Node " + nodeId + " answered with an unknown outcome '" + status + "'.");
    }
    if (parsed == InvocationOutcome.Status.OK) {
      return InvocationOutcome.ok(response.body(), duration);
    }
    FunctionErrorView error;
    try {
      error = json.readValue(response.body(), FunctionErrorView.class);
    } catch (IOException | RuntimeException e) {
      return InvocationOutcome.crashed("Node " + nodeId + " answered an unreadable error for instance " + instanceId + ".");
    }
    return new InvocationOutcome(parsed, new byte[0], error.errorType(), error.errorMessage(), error.trace(), duration);
  }
}

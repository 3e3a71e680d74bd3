package dev.faaster.api.invoke;

import io.micronaut.json.JsonMapper;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;

/**
 * Invokes an instance on another node through that node's data plane (its HTTP endpoint, published
 * in the registry). The JDK's HTTP client keeps connections to each node open between invocations.
 * Like {@link GuestAgentInvoker} it never throws: an instance the node no longer runs is a crashed
 * instance (the router replaces it); one that doesn't answer within the function's timeout and the
 * grace is a timeout; a node that can't be reached, refuses the call (tokens differ, data plane off)
 * or turns out to be another node at a stale address is {@code UNREACHABLE}: the platform's fault,
 * answered 503, the instance kept.
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
    // HTTP/1.1: the data plane is plain HTTP, and an h2c upgrade attempt only costs a round trip.
    this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(settings.connectTimeout()).build();
  }

  public InvocationOutcome invoke(String nodeId, String instanceId, byte[] event, Duration timeout, String invocationId) {
    if (!settings.enabled()) {
      return InvocationOutcome.unreachable("Instance " + instanceId + " is on node " + nodeId
          + ", another process, and this API has no data plane token (faaster.node.data-plane.token) to reach it.");
    }
    Optional<String> url = addresses.of(nodeId);
    if (url.isEmpty()) {
      return InvocationOutcome.unreachable("Node " + nodeId + " has not published its data plane; it can't be reached.");
    }
    HttpRequest request =
        call(url.get() + NodeDataPlaneHeaders.invocationPath(instanceId), timeout, timeout.plus(invocationSettings.invokeGrace()))
            .header("Content-Type", "application/octet-stream")
            .header(NodeDataPlaneHeaders.INVOCATION_ID, invocationId)
            .POST(HttpRequest.BodyPublishers.ofByteArray(event))
            .build();
    HttpResponse<byte[]> response;
    try {
      response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
    } catch (HttpConnectTimeoutException e) {
      addresses.forget(nodeId);
      return InvocationOutcome.unreachable("Node " + nodeId + " at " + url.get() + " did not accept a connection in "
          + settings.connectTimeout().toMillis() + " ms.");
    } catch (HttpTimeoutException e) {
      // Connected, sent, and no answer within the function's timeout and the grace: the guest is hung.
      return InvocationOutcome.timeout("Task timed out after " + timeout.toSeconds() + " seconds (the instance did not answer).");
    } catch (IOException e) {
      addresses.forget(nodeId);
      return InvocationOutcome.unreachable("Node " + nodeId + " at " + url.get() + " can't be reached: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return InvocationOutcome.unreachable("The invocation was interrupted.");
    }
    return outcome(nodeId, instanceId, url.get(), response);
  }

  /**
   * Asks the node whether the instance's guest still answers as itself. Only the right node saying
   * 404 (not running) or 410 (not answering) makes it unhealthy; a node that can't be asked doesn't.
   */
  public boolean healthy(String nodeId, String instanceId, Duration timeout) {
    Optional<String> url = addresses.of(nodeId);
    if (!settings.enabled() || url.isEmpty()) {
      return true;
    }
    HttpRequest request =
        call(url.get() + NodeDataPlaneHeaders.healthPath(instanceId), timeout, timeout.plusSeconds(1))
            .POST(HttpRequest.BodyPublishers.noBody())
            .build();
    try {
      HttpResponse<byte[]> response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
      boolean fromTheNode = nodeId.equals(response.headers().firstValue(NodeDataPlaneHeaders.NODE_ID).orElse(""));
      return !(fromTheNode && (response.statusCode() == 404 || response.statusCode() == 410));
    } catch (IOException e) {
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return true;
    }
  }

  /** A data plane call: the token, the guest's own bound ({@code timeout}) and the wait for the answer. */
  private HttpRequest.Builder call(String url, Duration timeout, Duration answerWithin) {
    return HttpRequest.newBuilder(URI.create(url))
        .timeout(answerWithin)
        .header("Authorization", "Bearer " + settings.token())
        .header(NodeDataPlaneHeaders.TIMEOUT_MS, Long.toString(timeout.toMillis()));
  }

  private InvocationOutcome outcome(String nodeId, String instanceId, String url, HttpResponse<byte[]> response) {
    String answeredBy = response.headers().firstValue(NodeDataPlaneHeaders.NODE_ID).orElse("");
    if (!answeredBy.equals(nodeId)) {
      // A stale address (the node moved, another process took its port): not this instance's fault.
      addresses.forget(nodeId);
      return InvocationOutcome.unreachable("The data plane at " + url + " answered " + response.statusCode()
          + (answeredBy.isEmpty() ? " without naming its node" : " as node " + answeredBy) + ", not as " + nodeId + ".");
    }
    if (response.statusCode() == 404) {
      // The right node doesn't run the instance (any more): it is gone; the router replaces it.
      return InvocationOutcome.crashed("The instance is no longer running on node " + nodeId + ".");
    }
    if (response.statusCode() != 200) {
      // 401 (tokens differ), 503 (data plane off), 400: the platform's configuration, not the instance.
      return InvocationOutcome.unreachable("Node " + nodeId + " refused the invocation with " + response.statusCode()
          + ": " + new String(response.body(), StandardCharsets.UTF_8));
    }
    String status = response.headers().firstValue(NodeDataPlaneHeaders.OUTCOME).orElse("");
    double duration = response.headers().firstValue(NodeDataPlaneHeaders.DURATION_MS).map(Double::parseDouble).orElse(0.0);
    InvocationOutcome.Status parsed;
    try {
      parsed = InvocationOutcome.Status.valueOf(status);
    } catch (IllegalArgumentException e) {
      return InvocationOutcome.unreachable("Node " + nodeId + " answered with an unknown outcome '" + status + "'.");
    }
    if (parsed == InvocationOutcome.Status.OK) {
      return InvocationOutcome.ok(response.body(), duration);
    }
    FunctionErrorView error;
    try {
      error = json.readValue(response.body(), FunctionErrorView.class);
    } catch (IOException | RuntimeException e) {
      return InvocationOutcome.unreachable("Node " + nodeId + " answered an unreadable error for instance " + instanceId + ".");
    }
    return new InvocationOutcome(parsed, new byte[0], error.errorType(), error.errorMessage(), error.trace(), duration);
  }
}

package dev.faaster.api.node;

import dev.faaster.activities.vm.NodeConfiguration;
import dev.faaster.activities.vm.NodeRole;
import dev.faaster.api.invoke.FunctionErrorView;
import dev.faaster.api.invoke.GuestAgentInvoker;
import dev.faaster.api.invoke.InvocationOutcome;
import dev.faaster.api.invoke.NodeDataPlaneHeaders;
import dev.faaster.api.invoke.NodeDataPlaneSettings;
import dev.faaster.registry.InstanceRecord;
import dev.faaster.registry.InstanceRepository;
import dev.faaster.vm.DomainPaths;
import dev.faaster.vm.VmSettings;
import io.micronaut.context.annotation.Requires;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Header;
import io.micronaut.http.annotation.Post;
import io.micronaut.json.JsonMapper;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import io.swagger.v3.oas.annotations.Hidden;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;

/**
 * Invocations of this node's instances from API processes elsewhere ({@link
 * NodeDataPlaneHeaders} describes the wire format). Authenticated by the shared data plane token,
 * not by tenant tokens: the API already checked the tenant and chose the instance.
 */
@Controller
@ExecuteOn(TaskExecutors.BLOCKING)
@Requires(property = "faaster.roles", pattern = NodeRole.PATTERN)
@Hidden
public class NodeDataPlaneController {

  /** A function's longest timeout (15 minutes). */
  static final long MAX_TIMEOUT_MS = 900_000;

  private final GuestAgentInvoker guests;
  private final InstanceRepository instances;
  private final NodeConfiguration node;
  private final NodeDataPlaneSettings settings;
  private final VmSettings vm;
  private final JsonMapper json;

  public NodeDataPlaneController(
      GuestAgentInvoker guests,
      InstanceRepository instances,
      NodeConfiguration node,
      NodeDataPlaneSettings settings,
      VmSettings vm,
      JsonMapper json) {
    this.guests = guests;
    this.instances = instances;
    this.node = node;
    this.settings = settings;
    this.vm = vm;
    this.json = json;
  }

  @Post(uri = "/node/v1/instances/{instanceId}/invocations", consumes = MediaType.ALL, produces = MediaType.ALL)
  public HttpResponse<byte[]> invoke(
      String instanceId,
      @Nullable @Header("Authorization") String authorization,
      @Header(NodeDataPlaneHeaders.TIMEOUT_MS) long timeoutMs,
      @Header(NodeDataPlaneHeaders.INVOCATION_ID) String invocationId,
      @Nullable @Body byte[] event) {
    Admission admission = admit(instanceId, authorization);
    if (admission.refusal() != null) {
      return admission.refusal();
    }
    if (timeoutMs < 1 || timeoutMs > MAX_TIMEOUT_MS) {
      return text(HttpStatus.BAD_REQUEST, NodeDataPlaneHeaders.TIMEOUT_MS + " must be 1.." + MAX_TIMEOUT_MS + ".");
    }
    InvocationOutcome outcome =
        guests.invoke(instanceId, admission.agentSocket(), event == null ? new byte[0] : event,
            Duration.ofMillis(timeoutMs), invocationId);
    byte[] body = outcome.status() == InvocationOutcome.Status.OK ? outcome.payload() : errorBody(outcome);
    return HttpResponse.ok(body)
        .contentType(MediaType.APPLICATION_OCTET_STREAM_TYPE)
        .header(NodeDataPlaneHeaders.NODE_ID, node.id())
        .header(NodeDataPlaneHeaders.OUTCOME, outcome.status().name())
        .header(NodeDataPlaneHeaders.DURATION_MS, Double.toString(outcome.durationMs()));
  }

  /** 200 when the instance's guest answers as itself with its code loaded; 410 when it doesn't. */
  @Post(uri = "/node/v1/instances/{instanceId}/health", consumes = MediaType.ALL, produces = MediaType.TEXT_PLAIN)
  public HttpResponse<byte[]> health(
      String instanceId,
      @Nullable @Header("Authorization") String authorization,
      @Header(NodeDataPlaneHeaders.TIMEOUT_MS) long timeoutMs) {
    Admission admission = admit(instanceId, authorization);
    if (admission.refusal() != null) {
      return admission.refusal();
    }
    Duration timeout = Duration.ofMillis(Math.max(1, Math.min(timeoutMs, 10_000)));
    boolean healthy = guests.healthy(instanceId, admission.agentSocket(), timeout);
    return healthy
        ? text(HttpStatus.OK, "Instance " + instanceId + " answers.")
        : text(HttpStatus.GONE, "Instance " + instanceId + " does not answer as itself.");
  }

  /** The instance's agent socket when the call may go on; else the answer that refuses it. */
  private record Admission(@Nullable Path agentSocket, @Nullable HttpResponse<byte[]> refusal) {}

  /** The data plane is on, the caller holds its token, and the instance runs on this node. */
  private Admission admit(String instanceId, @Nullable String authorization) {
    if (!settings.enabled()) {
      return new Admission(null, text(HttpStatus.SERVICE_UNAVAILABLE, "The data plane of node " + node.id()
          + " is off: set faaster.node.data-plane.token (FAASTER_NODE_DATA_PLANE_TOKEN) on the node and the API."));
    }
    if (!authorized(authorization)) {
      return new Admission(null, text(HttpStatus.UNAUTHORIZED, "The data plane token is missing or wrong."));
    }
    return instances.findById(instanceId)
        .filter(r -> r.nodeId().equals(node.id()) && InstanceRecord.READY.equals(r.state()))
        .map(r -> new Admission(DomainPaths.of(vm.runDir(), r.domainName()).agentSocket(), null))
        .orElseGet(() -> new Admission(null, text(HttpStatus.NOT_FOUND,
            "Instance " + instanceId + " is not running on node " + node.id() + ".")));
  }

  private boolean authorized(@Nullable String authorization) {
    String expected = "Bearer " + settings.token();
    return authorization != null
        && MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8), authorization.getBytes(StandardCharsets.UTF_8));
  }

  private byte[] errorBody(InvocationOutcome outcome) {
    try {
      return json.writeValueAsBytes(new FunctionErrorView(
          outcome.errorType() == null ? "Runtime.Unknown" : outcome.errorType(),
          outcome.errorMessage() == null ? "" : outcome.errorMessage(),
          outcome.trace()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private HttpResponse<byte[]> text(HttpStatus status, String message) {
    return HttpResponse.<byte[]>status(status)
        .body(message.getBytes(StandardCharsets.UTF_8))
        .contentType(MediaType.TEXT_PLAIN_TYPE)
        .header(NodeDataPlaneHeaders.NODE_ID, node.id());
  }
}

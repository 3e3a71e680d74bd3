package dev.faaster.api.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.faaster.api.functions.CreateFunctionCommand;
import dev.faaster.registry.InstanceRecord;
import dev.faaster.registry.InstanceRepository;
import dev.faaster.registry.NodeRepository;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A node in a process of its own (another host, as far as the platform can tell): the API in this
 * JVM invokes its instances through the node's data plane, cold then warm, and the data plane
 * refuses a caller without the shared token.
 */
@ExtendWith(StackRequired.class)
class RemoteNodeInvocationIT {

  static final String TOKEN = "it-remote-plane-" + UUID.randomUUID();

  private Platform platform;
  private TestNode node;
  private WorkerProcess nodeProcess;

  @AfterEach
  void stopEverything() {
    if (nodeProcess != null) {
      nodeProcess.close();
    }
    if (platform != null) {
      platform.close();
    }
    if (node != null) {
      node.close();
    }
  }

  @Test
  void theApiInvokesAnotherProcesssNodeThroughItsDataPlane() throws Exception {
    node = TestNode.create();
    platform = Platform.start(RemoteNodeInvocationIT.class, "api,worker",
        Map.of("faaster.invocations.cold-start-wait", "180s", "faaster.invocations.keep-alive", "10m",
            "faaster.node.data-plane.token", TOKEN));
    Map<String, String> nodeSettings = new HashMap<>(node.settings(1));
    nodeSettings.put("faaster.node.data-plane.token", TOKEN);
    nodeSettings.put("faaster.code-cache.l1.directory", platform.root().resolve("l1").toString());
    nodeSettings.put("faaster.vm.share-dir", platform.root().resolve("l1").resolve("shares").toString());
    nodeProcess = WorkerProcess.start(platform, "node-remote", "node", nodeSettings);
    node.awaitTemplates(platform);
    String published =
        Poll.until("node " + node.id + " to publish its data plane", Duration.ofMinutes(1),
            () -> platform.bean(NodeRepository.class).findById(node.id).map(n -> n.dataPlaneUrl()), () -> "");
    assertThat(published).isEqualTo(nodeProcess.uri().toString());
    TestTenant tenant = platform.createTenant("it-remote");
    String name = "sh-remote";
    deploy(tenant, name);

    HttpResponse<byte[]> cold = invoke(tenant, name, "one");
    HttpResponse<byte[]> warm = invoke(tenant, name, "two");

    assertThat(cold.statusCode()).as(Platform.show(cold)).isEqualTo(200);
    assertThat(body(cold)).isEqualTo("remote:one");
    assertThat(cold.headers().firstValue("X-Faaster-Cold-Start")).hasValue("true");
    assertThat(body(warm)).isEqualTo("remote:two");
    assertThat(warm.headers().firstValue("X-Faaster-Cold-Start")).hasValue("false");
    String instanceId = cold.headers().firstValue("X-Faaster-Instance-Id").orElseThrow();
    assertThat(warm.headers().firstValue("X-Faaster-Instance-Id")).hasValue(instanceId);
    InstanceRecord instance = platform.bean(InstanceRepository.class).findById(instanceId).orElseThrow();
    assertThat(instance.nodeId()).isEqualTo(node.id);

    HttpClient http = HttpClient.newHttpClient();
    HttpResponse<String> wrongToken = http.send(
        HttpRequest.newBuilder(URI.create(nodeProcess.uri() + "/node/v1/instances/" + instanceId + "/invocations"))
            .header("Authorization", "Bearer not-the-token")
            .header("X-Faaster-Timeout-Ms", "1000")
            .header("X-Faaster-Invocation-Id", "intruder")
            .POST(HttpRequest.BodyPublishers.ofString("three"))
            .build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(wrongToken.statusCode()).isEqualTo(401);
    assertThat(wrongToken.body()).doesNotContain("remote:");
    HttpResponse<String> noToken = http.send(
        HttpRequest.newBuilder(URI.create(nodeProcess.uri() + "/node/v1/instances/" + instanceId + "/invocations"))
            .header("X-Faaster-Timeout-Ms", "1000")
            .header("X-Faaster-Invocation-Id", "intruder")
            .POST(HttpRequest.BodyPublishers.ofString("four"))
            .build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(noToken.statusCode()).isEqualTo(401);
    HttpResponse<String> unknown = http.send(
        HttpRequest.newBuilder(URI.create(nodeProcess.uri() + "/node/v1/instances/" + UUID.randomUUID() + "/invocations"))
            .header("Authorization", "Bearer " + TOKEN)
            .header("X-Faaster-Timeout-Ms", "1000")
            .header("X-Faaster-Invocation-Id", "lost")
            .POST(HttpRequest.BodyPublishers.ofString("five"))
            .build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(unknown.statusCode()).isEqualTo(404);
    assertThat(unknown.headers().firstValue("X-Faaster-Node-Id")).hasValue(node.id);
  }

  private void deploy(TestTenant tenant, String name) {
    HttpResponse<byte[]> created = platform.post("/v1/functions", tenant.token(),
        new CreateFunctionCommand(name, "provided", null, 128, 10, Map.of(), null, null, null));
    assertThat(created.statusCode()).as(Platform.show(created)).isEqualTo(201);
    byte[] zip = TestNode.executablePackage("bootstrap", "#!/bin/sh\n# " + UUID.randomUUID() + "\nprintf 'remote:'; cat\n");
    HttpResponse<byte[]> uploaded = platform.put("/v1/functions/" + name + "/code", tenant.token(), "application/zip", zip);
    assertThat(uploaded.statusCode()).as(Platform.show(uploaded)).isEqualTo(200);
    HttpResponse<byte[]> published = platform.post("/v1/functions/" + name + "/versions?wait=true", tenant.token(), null);
    assertThat(published.statusCode()).as(Platform.show(published)).isEqualTo(201);
  }

  private HttpResponse<byte[]> invoke(TestTenant tenant, String name, String event) {
    return platform.send("POST", "/v1/functions/" + name + "/invocations", tenant.token(), "text/plain",
        event.getBytes(StandardCharsets.UTF_8));
  }

  private static String body(HttpResponse<byte[]> response) {
    return new String(response.body(), StandardCharsets.UTF_8);
  }
}

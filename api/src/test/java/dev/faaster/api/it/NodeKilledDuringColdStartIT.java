package dev.faaster.api.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.faaster.api.functions.CreateFunctionCommand;
import dev.faaster.registry.InstanceRecord;
import dev.faaster.registry.InstanceRepository;
import dev.faaster.registry.SlotRecord;
import dev.faaster.registry.SlotRepository;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The node agent SIGKILLed in the middle of a cold start, after its VM was restored and while its
 * routes are being attached (a fault-injection pause widens that window), then started again. The
 * cold start workflow must resume: either the invocation succeeds on that VM, or the cold start is
 * undone and the VM destroyed. Never a leaked domain, a held slot without a ready instance, or a
 * second VM for the instance.
 */
@ExtendWith(StackRequired.class)
class NodeKilledDuringColdStartIT {

  static final String DATA_PLANE_TOKEN = "it-data-plane-" + UUID.randomUUID();

  private Platform platform;
  private TestNode node;
  private WorkerProcess first;
  private WorkerProcess second;

  @AfterEach
  void stopEverything() {
    for (WorkerProcess w : new WorkerProcess[] {first, second}) {
      if (w != null) {
        w.close();
      }
    }
    if (platform != null) {
      platform.close();
    }
    if (node != null) {
      node.close();
    }
  }

  @Test
  void aColdStartWhoseNodeDiesBetweenRestoreAndRouteAttachEndsReadyOrUndoneWithNothingLeaked() throws Exception {
    node = TestNode.create();
    // The control worker (workflows, slots) in this JVM; the node agent in processes of its own.
    platform = Platform.start(NodeKilledDuringColdStartIT.class, "api,worker",
        Map.of("faaster.invocations.cold-start-wait", "180s", "faaster.invocations.keep-alive", "10m",
            // The node is down for as long as its replacement takes to start: not lost.
            "faaster.scheduler.node-timeout", "300s",
            // The router reaches the node's instances through the node's data plane.
            "faaster.node.data-plane.token", DATA_PLANE_TOKEN));
    Map<String, String> nodeSettings = new HashMap<>(node.settings(0));
    nodeSettings.put("faaster.node.data-plane.token", DATA_PLANE_TOKEN);
    nodeSettings.put("faaster.node.reconcile-interval", "2s");
    nodeSettings.put("faaster.code-cache.l1.directory", platform.root().resolve("l1").toString());
    nodeSettings.put("faaster.vm.share-dir", platform.root().resolve("l1").resolve("shares").toString());
    Map<String, String> slowAttach = new HashMap<>(nodeSettings);
    slowAttach.put("faaster.fault-injection.delay-before-attach-routes", "120s");
    first = WorkerProcess.start(platform, "node-first", "node", slowAttach);
    node.awaitTemplates(platform);
    TestTenant tenant = platform.createTenant("it-kill");
    String name = "py-survivor";
    deploy(tenant, name);
    InstanceRepository instances = platform.bean(InstanceRepository.class);

    CompletableFuture<HttpResponse<byte[]>> invocation = CompletableFuture.supplyAsync(() ->
        platform.send("POST", "/v1/functions/" + name + "/invocations", tenant.token(), "application/json",
            "\"still here?\"".getBytes(StandardCharsets.UTF_8)));
    InstanceRecord restored =
        Poll.until("an instance restored on " + node.id + " (its routes are still being attached)",
            Duration.ofMinutes(2), () -> ready(instances).stream().findFirst());
    first.kill();
    second = WorkerProcess.start(platform, "node-second", "node", nodeSettings);

    HttpResponse<byte[]> answer = invocation.get(5, TimeUnit.MINUTES);

    String body = new String(answer.body(), StandardCharsets.UTF_8);
    if (answer.statusCode() == 200 && answer.headers().firstValue("X-Faaster-Function-Error").isEmpty()) {
      // Resumed: the instance the dead node restored serves the request; no second VM was made.
      assertThat(body).isEqualTo("\"still here?\"");
      assertThat(answer.headers().firstValue("X-Faaster-Instance-Id")).hasValue(restored.id());
      assertThat(instances.findById(restored.id()).orElseThrow().state()).isEqualTo(InstanceRecord.READY);
      assertThat(node.domainNames()).contains(restored.domainName());
    } else {
      // Undone: the VM destroyed and its slot freed.
      Poll.until("instance " + restored.id() + " destroyed", Duration.ofMinutes(2),
          () -> InstanceRecord.DESTROYED.equals(instances.findById(restored.id()).orElseThrow().state())
              ? Optional.of(true) : Optional.empty());
    }
    // Whatever the outcome: every domain of this node is a ready instance once the node's reconciler
    // ran, and every held slot belongs to one.
    SlotRepository slots = platform.bean(SlotRepository.class);
    Poll.until("only ready instances' domains and slots left on " + node.id, Duration.ofMinutes(1), () -> {
      Set<String> readyDomains = ready(instances).stream().map(InstanceRecord::domainName).collect(Collectors.toSet());
      Set<String> readyIds = ready(instances).stream().map(InstanceRecord::id).collect(Collectors.toSet());
      Set<String> held = slots.findByNodeId(node.id).stream().map(SlotRecord::instanceId)
          .filter(Objects::nonNull).collect(Collectors.toSet());
      return readyDomains.equals(Set.copyOf(node.domainNames())) && readyIds.containsAll(held)
          ? Optional.of(true) : Optional.empty();
    });
    assertThat(ready(instances)).as("ready instances after the fault (answer: %s %s)", answer.statusCode(), body)
        .hasSizeLessThanOrEqualTo(1);
  }

  private List<InstanceRecord> ready(InstanceRepository instances) {
    return instances.findByNodeIdAndStateInList(node.id, List.of(InstanceRecord.READY));
  }

  private void deploy(TestTenant tenant, String name) {
    HttpResponse<byte[]> created = platform.post("/v1/functions", tenant.token(),
        new CreateFunctionCommand(name, "python3", "main.handler", 128, 30, Map.of(), null, null, null));
    assertThat(created.statusCode()).as(Platform.show(created)).isEqualTo(201);
    byte[] zip = TestNode.pythonPackage("# " + UUID.randomUUID() + "\ndef handler(event, context):\n    return event\n");
    HttpResponse<byte[]> uploaded = platform.put("/v1/functions/" + name + "/code", tenant.token(), "application/zip", zip);
    assertThat(uploaded.statusCode()).as(Platform.show(uploaded)).isEqualTo(200);
    HttpResponse<byte[]> published = platform.post("/v1/functions/" + name + "/versions?wait=true", tenant.token(), null);
    assertThat(published.statusCode()).as(Platform.show(published)).isEqualTo(201);
  }
}

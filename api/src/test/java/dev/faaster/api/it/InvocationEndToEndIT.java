package dev.faaster.api.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.faaster.api.functions.CodeView;
import dev.faaster.api.functions.CreateFunctionCommand;
import dev.faaster.api.invoke.InvocationRouter;
import dev.faaster.registry.InstanceRecord;
import dev.faaster.registry.InstanceRepository;
import dev.faaster.workflows.coldstart.ColdStartWorkflowIds;
import io.micronaut.core.type.Argument;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.client.WorkflowClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Invocations from the outside on the real stack: HTTP API, Temporal, the cold start workflow, the
 * node agent restoring micro VMs through libvirt/QEMU, the code through the cache tiers, the guest
 * agent running the function. What a user sees (cold then warm, the stages, errors) and what the
 * platform leaves behind (domains, workflows) must agree.
 *
 * <p>One platform (api, worker and node roles in this JVM) for the class: its templates take most
 * of its start. Each test deploys its own function.
 */
@ExtendWith(StackRequired.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class InvocationEndToEndIT {

  private Platform platform;
  private TestTenant tenant;
  private TestNode node;

  @BeforeAll
  void startPlatformWithANode() {
    node = TestNode.create();
    Map<String, Object> settings = new HashMap<>(node.settings(1));
    settings.put("faaster.node.reconcile-interval", "1h");
    settings.put("faaster.invocations.keep-alive", "10m");
    settings.put("faaster.invocations.cold-start-wait", "120s");
    platform = Platform.start(InvocationEndToEndIT.class, "api,worker,node", settings);
    tenant = platform.createTenant("it-invoke");
    node.awaitTemplates(platform);
  }

  @AfterAll
  void stopPlatform() {
    try {
      if (platform != null) {
        platform.close();
      }
    } finally {
      if (node != null) {
        node.close();
      }
    }
  }

  @Test
  void aPythonFunctionAnswersColdThenWarmFromTheSameInstance() {
    String name = "py-hello";
    deploy(name, "python3", "main.handler", 3,
        TestNode.pythonPackage("def handler(event, context):\n    return {'sum': event['a'] + event['b'], 'run': '"
            + UUID.randomUUID() + "'}\n"));

    HttpResponse<byte[]> cold = invoke(name, "{\"a\": 2, \"b\": 40}");

    assertThat(cold.statusCode()).as(Platform.show(cold)).isEqualTo(200);
    assertThat(body(cold)).contains("\"sum\":42");
    assertThat(cold.headers().firstValue("X-Faaster-Cold-Start")).hasValue("true");
    assertThat(cold.headers().firstValue("X-Faaster-Version")).hasValue("1");
    assertThat(cold.headers().firstValue("X-Faaster-Function-Error")).isEmpty();
    String timing = cold.headers().firstValue("Server-Timing").orElseThrow();
    assertThat(timing).contains("schedule;dur=", "vm;dur=", "code;dur=", "network;dur=", "load;dur=", "total;dur=");
    String instance = cold.headers().firstValue("X-Faaster-Instance-Id").orElseThrow();
    assertColdStartCompleted(instance);
    String domain = platform.bean(InstanceRepository.class).findById(instance).orElseThrow().domainName();
    assertThat(node.domainNames()).as("running domains").contains(domain);

    HttpResponse<byte[]> warm = invoke(name, "{\"a\": 1, \"b\": 1}");

    assertThat(warm.statusCode()).as(Platform.show(warm)).isEqualTo(200);
    assertThat(body(warm)).contains("\"sum\":2");
    assertThat(warm.headers().firstValue("X-Faaster-Cold-Start")).hasValue("false");
    assertThat(warm.headers().firstValue("X-Faaster-Instance-Id")).hasValue(instance);
    assertThat(warm.headers().firstValue("Server-Timing")).isEmpty();
  }

  @Test
  void aProvidedFunctionRunsItsBootstrapWithTheEventOnStdin() {
    String name = "sh-echo";
    deploy(name, "provided", null, 3,
        TestNode.executablePackage("bootstrap", "#!/bin/sh\n# " + UUID.randomUUID() + "\nprintf 'got:'; cat\n"));

    HttpResponse<byte[]> cold = invoke(name, "hello");
    HttpResponse<byte[]> warm = invoke(name, "again");

    assertThat(cold.statusCode()).as(Platform.show(cold)).isEqualTo(200);
    assertThat(body(cold)).isEqualTo("got:hello");
    assertThat(cold.headers().firstValue("X-Faaster-Cold-Start")).hasValue("true");
    assertThat(body(warm)).isEqualTo("got:again");
    assertThat(warm.headers().firstValue("X-Faaster-Cold-Start")).hasValue("false");
    assertThat(warm.headers().firstValue("X-Faaster-Instance-Id"))
        .isEqualTo(cold.headers().firstValue("X-Faaster-Instance-Id"));
  }

  @Test
  void aFunctionOverItsTimeoutFailsWithTimeoutErrorAndItsInstanceIsReplaced() {
    String name = "py-slow";
    deploy(name, "python3", "main.handler", 1,
        TestNode.pythonPackage("import time\n# " + UUID.randomUUID() + "\ndef handler(event, context):\n"
            + "    if event == 'slow':\n        time.sleep(30)\n    return 'done'\n"));

    HttpResponse<byte[]> slow = invoke(name, "\"slow\"");

    assertThat(slow.statusCode()).as(Platform.show(slow)).isEqualTo(200);
    assertThat(slow.headers().firstValue("X-Faaster-Function-Error")).isPresent();
    assertThat(body(slow)).contains("TimeoutError");
    String timedOut = slow.headers().firstValue("X-Faaster-Instance-Id").orElseThrow();
    assertRetired(timedOut);

    HttpResponse<byte[]> next = invoke(name, "\"fast\"");

    assertThat(next.statusCode()).as(Platform.show(next)).isEqualTo(200);
    assertThat(body(next)).isEqualTo("\"done\"");
    assertThat(next.headers().firstValue("X-Faaster-Cold-Start")).hasValue("true");
    assertThat(next.headers().firstValue("X-Faaster-Instance-Id")).isNotEqualTo(Optional.of(timedOut));
  }

  @Test
  void aFunctionThatCrashesItsGuestFailsAndTheNextRequestGetsANewInstance() {
    String name = "py-crash";
    deploy(name, "python3", "main.handler", 5,
        TestNode.pythonPackage("# " + UUID.randomUUID() + "\ndef handler(event, context):\n    if event == 'crash':\n"
            + "        open('/proc/sysrq-trigger', 'w').write('c')\n    return 'alive'\n"));
    HttpResponse<byte[]> first = invoke(name, "\"hi\"");
    assertThat(body(first)).isEqualTo("\"alive\"");
    String crashed = first.headers().firstValue("X-Faaster-Instance-Id").orElseThrow();

    HttpResponse<byte[]> crash = invoke(name, "\"crash\"");

    assertThat(crash.statusCode()).as(Platform.show(crash)).isEqualTo(200);
    assertThat(crash.headers().firstValue("X-Faaster-Function-Error")).isPresent();
    assertRetired(crashed);
    HttpResponse<byte[]> after = invoke(name, "\"hi\"");
    assertThat(body(after)).isEqualTo("\"alive\"");
    assertThat(after.headers().firstValue("X-Faaster-Cold-Start")).hasValue("true");
    assertThat(after.headers().firstValue("X-Faaster-Instance-Id")).isNotEqualTo(Optional.of(crashed));
  }

  @Test
  void anIdleInstanceWhoseGuestCrashedIsFoundByTheHealthCheckAndReplaced() {
    String name = "py-fuse";
    deploy(name, "python3", "main.handler", 5,
        TestNode.pythonPackage("import subprocess\n# " + UUID.randomUUID() + "\ndef handler(event, context):\n"
            + "    if event == 'fuse':\n"
            + "        subprocess.Popen(['sh', '-c', 'sleep 2; echo c > /proc/sysrq-trigger'], start_new_session=True)\n"
            + "    return 'lit'\n"));
    HttpResponse<byte[]> lit = invoke(name, "\"fuse\"");
    assertThat(body(lit)).as(Platform.show(lit)).isEqualTo("\"lit\"");
    String instance = lit.headers().firstValue("X-Faaster-Instance-Id").orElseThrow();
    InvocationRouter router = platform.bean(InvocationRouter.class);

    // The guest dies about 2 s after answering, with no request in flight.
    Poll.until("the health check to find " + instance + " dead", Duration.ofMinutes(1),
        () -> router.checkIdle(Duration.ofSeconds(2)) > 0 ? Optional.of(true) : Optional.empty());

    assertRetired(instance);
    HttpResponse<byte[]> next = invoke(name, "\"again\"");
    assertThat(body(next)).isEqualTo("\"lit\"");
    assertThat(next.headers().firstValue("X-Faaster-Cold-Start")).hasValue("true");
    assertThat(next.headers().firstValue("X-Faaster-Instance-Id")).isNotEqualTo(Optional.of(instance));
  }

  @Test
  void anotherTenantCannotInvokeTheFunction() {
    String name = "py-private";
    deploy(name, "python3", "main.handler", 3,
        TestNode.pythonPackage("# " + UUID.randomUUID() + "\ndef handler(event, context):\n    return 'secret'\n"));
    TestTenant other = platform.createTenant("it-other");

    HttpResponse<byte[]> foreign =
        platform.send("POST", "/v1/functions/" + name + "/invocations", other.token(), "application/json",
            "{}".getBytes(StandardCharsets.UTF_8));

    assertThat(foreign.statusCode()).as(Platform.show(foreign)).isEqualTo(404);
    assertThat(body(foreign)).doesNotContain("secret");
  }

  @Test
  void anEventRunsInTheBackgroundAndItsResultIsReadLaterOnlyByItsTenant() {
    String name = "sh-event";
    deploy(name, "provided", null, 3,
        TestNode.executablePackage("bootstrap", "#!/bin/sh\n# " + UUID.randomUUID() + "\nprintf '{\"got\":'; cat; printf '}'\n"));

    HttpResponse<byte[]> accepted = event(name, "{\"n\":7}");

    assertThat(accepted.statusCode()).as(Platform.show(accepted)).isEqualTo(202);
    Map<String, Object> acceptedBody = platform.read(accepted, Argument.mapOf(String.class, Object.class));
    String resultUrl = (String) acceptedBody.get("resultUrl");
    assertThat(accepted.headers().firstValue("Location")).hasValue(resultUrl);
    Map<String, Object> done = awaitEnd(resultUrl);
    assertThat(done).containsEntry("status", "SUCCEEDED").containsEntry("attempts", 1).containsEntry("version", 1);
    assertThat(done.get("response")).isEqualTo(Map.of("got", Map.of("n", 7)));

    TestTenant other = platform.createTenant("it-event-other");
    HttpResponse<byte[]> foreign = platform.get(resultUrl, other.token());
    assertThat(foreign.statusCode()).as(Platform.show(foreign)).isEqualTo(404);
    assertThat(body(foreign)).doesNotContain("got");
  }

  @Test
  void aFailingEventIsRetriedThenReportsItsLastError() {
    String name = "sh-event-fails";
    deploy(name, "provided", null, 3,
        TestNode.executablePackage("bootstrap", "#!/bin/sh\n# " + UUID.randomUUID() + "\necho nope >&2; exit 3\n"));

    HttpResponse<byte[]> accepted = event(name, "{}");

    assertThat(accepted.statusCode()).as(Platform.show(accepted)).isEqualTo(202);
    String resultUrl = (String) platform.read(accepted, Argument.mapOf(String.class, Object.class)).get("resultUrl");
    Map<String, Object> done = awaitEnd(resultUrl);
    assertThat(done).containsEntry("status", "FAILED").containsEntry("attempts", 3);
    assertThat(done.get("errorType")).isNotNull();
    assertThat(done).doesNotContainKey("response");
  }

  // --- helpers -----------------------------------------------------------------------------

  /** The event's view once it is no longer RUNNING. */
  private Map<String, Object> awaitEnd(String resultUrl) {
    return Poll.until("event " + resultUrl + " to end", Duration.ofMinutes(3), () -> {
      Map<String, Object> view =
          platform.read(platform.get(resultUrl, tenant.token()), Argument.mapOf(String.class, Object.class));
      return "RUNNING".equals(view.get("status")) ? Optional.empty() : Optional.of(view);
    }, () -> "");
  }

  private HttpResponse<byte[]> event(String name, String event) {
    return platform.send("POST", "/v1/functions/" + name + "/invocations", tenant.token(), "application/json",
        event.getBytes(StandardCharsets.UTF_8), Map.of("X-Faaster-Invocation-Type", "Event"));
  }

  private void deploy(String name, String runtime, String handler, int timeoutSeconds, byte[] zip) {
    HttpResponse<byte[]> created =
        platform.post("/v1/functions", tenant.token(),
            new CreateFunctionCommand(name, runtime, handler, 128, timeoutSeconds, Map.of(), null, null, null));
    assertThat(created.statusCode()).as(Platform.show(created)).isEqualTo(201);
    HttpResponse<byte[]> uploaded =
        platform.put("/v1/functions/" + name + "/code", tenant.token(), "application/zip", zip);
    assertThat(uploaded.statusCode()).as(Platform.show(uploaded)).isEqualTo(200);
    assertThat(platform.read(uploaded, CodeView.class).sizeBytes()).isEqualTo(zip.length);
    HttpResponse<byte[]> published =
        platform.post("/v1/functions/" + name + "/versions?wait=true", tenant.token(), null);
    assertThat(published.statusCode()).as(Platform.show(published)).isEqualTo(201);
  }

  private HttpResponse<byte[]> invoke(String name, String event) {
    return platform.send("POST", "/v1/functions/" + name + "/invocations", tenant.token(), "application/json",
        event.getBytes(StandardCharsets.UTF_8));
  }

  private void assertColdStartCompleted(String instanceId) {
    WorkflowClient client = platform.workflowClient();
    WorkflowExecutionStatus status =
        client.newUntypedWorkflowStub(ColdStartWorkflowIds.of(instanceId)).describe().getStatus();
    assertThat(status).isEqualTo(WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED);
  }

  /** Its retirement workflow completed and its domain is gone. */
  private void assertRetired(String instanceId) {
    WorkflowClient client = platform.workflowClient();
    String retireId = ColdStartWorkflowIds.retireOf(instanceId);
    Poll.until("retirement of " + instanceId + " completed", Duration.ofMinutes(2), () -> {
      try {
        return client.newUntypedWorkflowStub(retireId).describe().getStatus()
                == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED
            ? Optional.of(true)
            : Optional.empty();
      } catch (RuntimeException notStartedYet) {
        return Optional.empty();
      }
    });
    InstanceRecord record = platform.bean(InstanceRepository.class).findById(instanceId).orElseThrow();
    assertThat(record.state()).isEqualTo(InstanceRecord.DESTROYED);
    assertThat(node.domainNames()).doesNotContain(record.domainName());
  }

  private static String body(HttpResponse<byte[]> response) {
    return new String(response.body(), StandardCharsets.UTF_8);
  }
}

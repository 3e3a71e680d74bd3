package dev.faaster.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.faaster.api.TestApi.TenantAccess;
import dev.faaster.api.error.ErrorCode;
import dev.faaster.api.invoke.InvocationHeaders;
import dev.faaster.api.invoke.InvocationOutcome;
import dev.faaster.api.invoke.InvocationType;
import dev.faaster.api.invoke.RouterInvokeActivities;
import dev.faaster.workflows.invoke.AsyncInvocationFailureTypes;
import dev.faaster.workflows.invoke.AsyncInvocationRequest;
import dev.faaster.workflows.invoke.AsyncInvocationResult;
import dev.faaster.workflows.invoke.InvocationAttempt;
import io.micronaut.context.annotation.Property;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.MediaType;
import io.micronaut.http.client.HttpClient;
import io.micronaut.http.client.annotation.Client;
import io.micronaut.json.JsonMapper;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import io.temporal.failure.ApplicationFailure;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Asynchronous invocations (X-Faaster-Invocation-Type: Event) through the real HTTP stack, with the
 * workflow that runs them replaced by {@link RecordingAsyncInvocations}; the invocation step itself
 * ({@link RouterInvokeActivities}) runs on the real router with the instance doubles.
 */
@MicronautTest(transactional = false)
@Property(name = "spec.name", value = RecordingDeployWorkflowStarter.SPEC)
class AsyncInvocationTest {

  static final String EVENT = "{\"hello\":\"world\"}";

  @Inject @Client("/") HttpClient client;
  @Inject JsonMapper json;
  @Inject RecordingDeployWorkflowStarter deploys;
  @Inject RecordingColdStarter coldStarts;
  @Inject ScriptedInstanceInvoker invoker;
  @Inject RecordingAsyncInvocations events;
  @Inject RouterInvokeActivities step;

  TestApi api;
  TenantAccess tenant;
  String token;

  @BeforeEach
  void freshTenant() {
    deploys.reset();
    coldStarts.reset();
    invoker.reset();
    api = new TestApi(client, json);
    tenant = api.newTenant("events");
    token = tenant.token();
  }

  @AfterEach
  void letEverythingGo() {
    coldStarts.reset();
    invoker.reset();
  }

  @Test
  void anEventIsAcceptedAt202WithWhereItsResultWillBeAndRunsTheResolvedVersion() {
    deployed("resize");
    api.patch(token, "/v1/functions/resize", Map.of("timeoutSeconds", 7));
    deploys.complete(api.publish(token, "resize").workflowId());
    assertThat(api.post(token, "/v1/functions/resize/aliases", Map.of("name", "live", "version", 2)).status()).isEqualTo(201);

    Reply accepted = event(token, "resize", "live", EVENT);

    assertThat(accepted.status()).as("%s", accepted).isEqualTo(202);
    Map<String, Object> body = accepted.asMap();
    String id = (String) body.get("invocationId");
    assertThat(body).containsEntry("status", "RUNNING").containsEntry("version", 2).containsEntry("functionName", "resize");
    assertThat(body.get("resultUrl")).isEqualTo("/v1/functions/resize/invocations/" + id);
    assertThat(accepted.header("Location")).isEqualTo("/v1/functions/resize/invocations/" + id);
    assertThat(accepted.header(InvocationHeaders.INVOCATION_ID)).isEqualTo(id);

    AsyncInvocationRequest request = events.request(id).orElseThrow();
    assertThat(request.tenantId()).isEqualTo(tenant.id());
    assertThat(request.functionName()).isEqualTo("resize");
    assertThat(request.version()).as("the alias, resolved when accepted").isEqualTo(2);
    assertThat(new String(request.event(), StandardCharsets.UTF_8)).isEqualTo(EVENT);
    assertThat(request.maxAttempts()).isEqualTo(3);
    // The function's 7 s timeout, the 10 s cold start allowance, the grace and the step's margin.
    assertThat(request.attemptTimeout()).isGreaterThan(java.time.Duration.ofSeconds(17));
    assertThat(coldStarts.starts().stream().filter(s -> s.functionName().equals("resize")))
        .as("nothing runs in the request").isEmpty();

    Reply running = api.get(token, "/v1/functions/resize/invocations/" + id);
    assertThat(running.status()).as("%s", running).isEqualTo(200);
    assertThat(running.asMap()).containsEntry("status", "RUNNING").containsEntry("attempts", 0);
  }

  @Test
  void aSucceededEventShowsTheFunctionsResponse() {
    deployed("hello");
    String id = (String) event(token, "hello", null, EVENT).asMap().get("invocationId");
    byte[] response = "{\"greeting\":\"hi\",\"n\":[1,2]}".getBytes(StandardCharsets.UTF_8);
    events.finish(id, new AsyncInvocationResult(AsyncInvocationResult.SUCCEEDED, 2,
        new InvocationAttempt("OK", response, response.length, null, null, 1, "i-42"), null, null));

    Reply done = api.get(token, "/v1/functions/hello/invocations/" + id);

    assertThat(done.status()).as("%s", done).isEqualTo(200);
    Map<String, Object> body = done.asMap();
    assertThat(body).containsEntry("status", "SUCCEEDED").containsEntry("attempts", 2).containsEntry("instanceId", "i-42")
        .containsEntry("responseBytes", response.length);
    assertThat(body.get("response")).isEqualTo(Map.of("greeting", "hi", "n", List.of(1, 2)));
    assertThat(body).doesNotContainKeys("responseOmitted", "errorType", "failure");
  }

  @Test
  void aFailedEventShowsTheLastErrorAndAGoneFunctionSaysWhy() {
    deployed("flaky");
    String failedId = (String) event(token, "flaky", null, EVENT).asMap().get("invocationId");
    String goneId = (String) event(token, "flaky", null, EVENT).asMap().get("invocationId");
    String stoppedId = (String) event(token, "flaky", null, EVENT).asMap().get("invocationId");
    events.finish(failedId, new AsyncInvocationResult(AsyncInvocationResult.FAILED, 3,
        new InvocationAttempt("FUNCTION_ERROR", null, 0, "ValueError", "bad input", 1, "i-1"), null, "Every attempt (3) failed"));
    events.finish(goneId, new AsyncInvocationResult(AsyncInvocationResult.FAILED, 0, null,
        AsyncInvocationFailureTypes.FUNCTION_NOT_FOUND, "'flaky' has no version 1."));
    events.end(stoppedId, "TERMINATED");

    Map<String, Object> failed = api.get(token, "/v1/functions/flaky/invocations/" + failedId).asMap();
    Map<String, Object> gone = api.get(token, "/v1/functions/flaky/invocations/" + goneId).asMap();
    Map<String, Object> stopped = api.get(token, "/v1/functions/flaky/invocations/" + stoppedId).asMap();

    assertThat(failed).containsEntry("status", "FAILED").containsEntry("attempts", 3)
        .containsEntry("errorType", "ValueError").containsEntry("errorMessage", "bad input").doesNotContainKey("response");
    assertThat(gone).containsEntry("status", "FAILED").containsEntry("failure", "FunctionNotFound")
        .containsEntry("failureMessage", "'flaky' has no version 1.");
    assertThat(stopped).containsEntry("status", "FAILED").containsEntry("failure", "WorkflowTerminated");
  }

  @Test
  void anotherTenantOrAnotherFunctionCannotReadTheEvent() {
    deployed("secret");
    deployed("other");
    String id = (String) event(token, "secret", null, EVENT).asMap().get("invocationId");
    TenantAccess stranger = api.newTenant("events-stranger");
    assertThat(api.createFunction(stranger.token(), TestApi.functionBody("secret")).name()).isEqualTo("secret");

    Reply foreign = api.get(stranger.token(), "/v1/functions/secret/invocations/" + id);
    Reply otherFunction = api.get(token, "/v1/functions/other/invocations/" + id);
    Reply unknown = api.get(token, "/v1/functions/secret/invocations/" + java.util.UUID.randomUUID());
    Reply malformed = api.get(token, "/v1/functions/secret/invocations/not-an-id");

    for (Reply reply : List.of(foreign, otherFunction, unknown, malformed)) {
      assertThat(reply.status()).as("%s", reply).isEqualTo(404);
      assertThat(reply.error().code()).isEqualTo(ErrorCode.NOT_FOUND);
    }
  }

  @Test
  void badInputIsRefusedAndStartsNothing() {
    deployed("strict");
    int before = events.started().size();

    Reply badType = api.send(token, HttpRequest.POST("/v1/functions/strict/invocations", EVENT)
        .contentType(MediaType.APPLICATION_JSON_TYPE).header(InvocationType.HEADER, "Fire-and-forget"));
    byte[] big = new byte[4097];
    Arrays.fill(big, (byte) 'x');
    Reply tooBig = api.send(token, HttpRequest.POST("/v1/functions/strict/invocations", big)
        .contentType(MediaType.APPLICATION_JSON_TYPE).header(InvocationType.HEADER, "Event"));
    Reply missing = event(token, "nope", null, EVENT);
    Reply noAlias = event(token, "strict", "canary", EVENT);

    assertThat(badType.status()).as("%s", badType).isEqualTo(400);
    assertThat(badType.error().code()).isEqualTo(ErrorCode.INVALID_INVOCATION_TYPE);
    assertThat(badType.error().message()).contains("RequestResponse or Event");
    assertThat(tooBig.status()).as("%s", tooBig).isEqualTo(413);
    assertThat(tooBig.error().code()).isEqualTo(ErrorCode.PAYLOAD_TOO_LARGE);
    assertThat(missing.status()).isEqualTo(404);
    assertThat(noAlias.status()).isEqualTo(404);
    assertThat(events.started()).hasSize(before);
  }

  @Test
  void theRequestResponseTypeIsTheSynchronousInvocation() {
    deployed("sync");

    Reply reply = api.send(token, HttpRequest.POST("/v1/functions/sync/invocations", EVENT)
        .contentType(MediaType.APPLICATION_JSON_TYPE).header(InvocationType.HEADER, "RequestResponse"));

    assertThat(reply.status()).as("%s", reply).isEqualTo(200);
    assertThat(reply.text()).isEqualTo(EVENT);
  }

  @Test
  void theInvocationStepRunsTheEventOnTheRouterAndReportsTheOutcome() {
    deployed("stepped");
    String id = (String) event(token, "stepped", null, EVENT).asMap().get("invocationId");
    AsyncInvocationRequest request = events.request(id).orElseThrow();

    InvocationAttempt ok = step.invoke(request, 1);
    invoker.nextOutcome(InvocationOutcome.functionError("ValueError", "bad input", null));
    InvocationAttempt failed = step.invoke(request, 2);

    assertThat(ok.succeeded()).isTrue();
    assertThat(new String(ok.payload(), StandardCharsets.UTF_8)).isEqualTo(EVENT);
    assertThat(ok.payloadBytes()).isEqualTo(EVENT.length());
    assertThat(ok.version()).isEqualTo(1);
    assertThat(ok.instanceId()).isNotBlank();
    assertThat(failed.status()).isEqualTo("FUNCTION_ERROR");
    assertThat(failed.errorType()).isEqualTo("ValueError");
    assertThat(failed.payload()).isNull();
    assertThat(coldStarts.starts().stream().filter(s -> s.functionName().equals("stepped"))).hasSize(1);
  }

  @Test
  void theInvocationStepEndsTheEventWhenItsFunctionWasDeletedAndRecreated() {
    deployed("phoenix");
    String id = (String) event(token, "phoenix", null, EVENT).asMap().get("invocationId");
    AsyncInvocationRequest request = events.request(id).orElseThrow();
    assertThat(api.delete(token, "/v1/functions/phoenix").status()).isEqualTo(204);
    deployed("phoenix");

    ApplicationFailure failure = catchThrowableOfType(ApplicationFailure.class, () -> step.invoke(request, 1));

    assertThat(failure.getType()).isEqualTo(AsyncInvocationFailureTypes.FUNCTION_NOT_FOUND);
    assertThat(failure.isNonRetryable()).isTrue();
    assertThat(coldStarts.starts().stream().filter(s -> s.functionName().equals("phoenix"))).isEmpty();
  }

  private Reply event(String token, String function, String qualifier, String event) {
    String uri = "/v1/functions/" + function + "/invocations" + (qualifier == null ? "" : "?qualifier=" + qualifier);
    return api.send(token, HttpRequest.POST(uri, event).contentType(MediaType.APPLICATION_JSON_TYPE)
        .header(InvocationType.HEADER, "Event"));
  }

  private void deployed(String name) {
    api.createFunction(token, TestApi.functionBody(name));
    api.uploadCode(token, name, Zips.valid());
    deploys.complete(api.publish(token, name).workflowId());
  }
}

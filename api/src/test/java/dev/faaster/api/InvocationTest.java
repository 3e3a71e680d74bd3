package dev.faaster.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.faaster.api.RecordingInstanceRetirer.Retirement;
import dev.faaster.api.TestApi.TenantAccess;
import dev.faaster.api.error.ErrorCode;
import dev.faaster.api.functions.FunctionView;
import dev.faaster.api.invoke.ConcurrencyView;
import dev.faaster.api.invoke.InvocationErrors;
import dev.faaster.api.invoke.InvocationHeaders;
import dev.faaster.api.invoke.InvocationOutcome;
import dev.faaster.api.invoke.InvocationRouter;
import dev.faaster.registry.FunctionRecord;
import dev.faaster.registry.FunctionRepository;
import dev.faaster.workflows.coldstart.ColdStartFailureTypes;
import dev.faaster.workflows.coldstart.ColdStartRequest;
import dev.faaster.workflows.coldstart.StartMode;
import io.micronaut.context.annotation.Property;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.client.HttpClient;
import io.micronaut.http.client.annotation.Client;
import io.micronaut.json.JsonMapper;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import jakarta.inject.Inject;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Invocations through the real HTTP stack and router, with the cold start workflow, the guest
 * agents and the retirement workflow replaced by doubles. Each test works in a fresh tenant.
 */
@MicronautTest(transactional = false)
@Property(name = "spec.name", value = RecordingDeployWorkflowStarter.SPEC)
class InvocationTest {

  static final String EVENT = "{\"hello\":\"world\"}";

  @Inject @Client("/") HttpClient client;
  @Inject JsonMapper json;
  @Inject RecordingDeployWorkflowStarter deploys;
  @Inject RecordingColdStarter coldStarts;
  @Inject ScriptedInstanceInvoker invoker;
  @Inject RecordingInstanceRetirer retirer;
  @Inject InvocationRouter router;
  @Inject FunctionRepository functions;
  @Inject Clock clock;

  TestApi api;
  TenantAccess tenant;
  String token;

  @BeforeEach
  void freshTenant() {
    deploys.reset();
    coldStarts.reset();
    invoker.reset();
    api = new TestApi(client, json);
    tenant = api.newTenant("invoke");
    token = tenant.token();
  }

  @AfterEach
  void letEverythingGo() {
    coldStarts.reset();
    invoker.reset();
  }

  @Test
  void firstInvocationIsColdWithItsStagesThenWarmOnTheSameInstance() {
    deployed("hello", Map.of());

    Reply first = api.invoke(token, "hello", null, EVENT);
    Reply second = api.invoke(token, "hello", null, EVENT);

    assertThat(first.status()).as("%s", first).isEqualTo(200);
    assertThat(first.text()).isEqualTo(EVENT);
    assertThat(first.header(InvocationHeaders.COLD_START)).isEqualTo("true");
    assertThat(first.header(InvocationHeaders.VERSION)).isEqualTo("1");
    assertThat(first.header(InvocationHeaders.INSTANCE_ID)).isNotBlank();
    assertThat(first.header(InvocationHeaders.INVOCATION_ID)).isNotBlank();
    assertThat(first.header(InvocationHeaders.FUNCTION_ERROR)).isNull();
    assertThat(first.header(InvocationHeaders.SERVER_TIMING))
        .isEqualTo("schedule;dur=2, vm;dur=41, code;dur=7, network;dur=0, load;dur=12, total;dur=63");
    assertThat(first.header(InvocationHeaders.COLD_START_STAGES))
        .isEqualTo("schedule=2, vm=41, code=7, network=0, load=12, total=63, mode=restore, code-source=l1");

    assertThat(second.status()).as("%s", second).isEqualTo(200);
    assertThat(second.text()).isEqualTo(EVENT);
    assertThat(second.header(InvocationHeaders.COLD_START)).isEqualTo("false");
    assertThat(second.header(InvocationHeaders.VERSION)).isEqualTo("1");
    assertThat(second.header(InvocationHeaders.INSTANCE_ID)).isEqualTo(first.header(InvocationHeaders.INSTANCE_ID));
    assertThat(second.header(InvocationHeaders.SERVER_TIMING)).isNull();
    assertThat(second.header(InvocationHeaders.COLD_START_STAGES)).isNull();
    assertThat(second.header(InvocationHeaders.INVOCATION_ID)).isNotEqualTo(first.header(InvocationHeaders.INVOCATION_ID));

    List<ColdStartRequest> starts = startsOf("hello");
    assertThat(starts).hasSize(1);
    ColdStartRequest start = starts.get(0);
    assertThat(start.instanceId()).isEqualTo(first.header(InvocationHeaders.INSTANCE_ID));
    assertThat(start.tenantId()).isEqualTo(tenant.id());
    assertThat(start.version()).isEqualTo(1);
    assertThat(start.runtime()).isEqualTo("provided");
    assertThat(start.memoryMb()).isEqualTo(128);
    assertThat(start.codeSha256()).isEqualTo(api.get(token, "/v1/functions/hello/versions/1").asMap().get("sha256"));
    assertThat(start.mode()).isEqualTo(StartMode.RESTORE);
    assertThat(coldStarts.tenantNames()).contains(tenant.name());
  }

  @Test
  void theEventAndTheFunctionsTimeoutReachTheInstance() {
    deployed("timed", Map.of("timeoutSeconds", 7, "environment", Map.of("GREETING", "hi")));

    Reply reply = api.invoke(token, "timed", null, "[1,2,3]");

    assertThat(reply.status()).as("%s", reply).isEqualTo(200);
    ScriptedInstanceInvoker.Call call = lastCallOn(reply.header(InvocationHeaders.INSTANCE_ID));
    assertThat(new String(call.event())).isEqualTo("[1,2,3]");
    assertThat(call.timeout()).isEqualTo(Duration.ofSeconds(7));
    assertThat(call.invocationId()).isEqualTo(reply.header(InvocationHeaders.INVOCATION_ID));
    assertThat(startsOf("timed").get(0).environment()).containsEntry("GREETING", "hi");
  }

  @Test
  void anEmptyBodyIsAnEmptyEvent() {
    deployed("empty", Map.of());

    Reply reply = api.send(token, HttpRequest.POST("/v1/functions/empty/invocations", new byte[0]));

    assertThat(reply.status()).as("%s", reply).isEqualTo(200);
    assertThat(reply.body()).isEmpty();
  }

  @Test
  void theEventIsPassedAsSentWhateverItsContentType() {
    deployed("typed", Map.of());
    for (String type : List.of("text/plain", "application/octet-stream", "application/x-www-form-urlencoded", "application/json")) {
      Reply reply =
          api.send(token, HttpRequest.POST("/v1/functions/typed/invocations", "{\"a\": 1, \"b\": \"x&y=z\"}").contentType(type));

      assertThat(reply.status()).as("%s: %s", type, reply).isEqualTo(200);
      assertThat(reply.text()).as(type).isEqualTo("{\"a\": 1, \"b\": \"x&y=z\"}");
    }
  }

  @Test
  void snapStartOffBootsAFullVm() {
    Map<String, Object> settings = Map.of("snapStart", false);
    FunctionView created = deployed("booted", settings);
    assertThat(created.snapStart()).isFalse();

    Reply reply = api.invoke(token, "booted", null, EVENT);

    assertThat(reply.status()).as("%s", reply).isEqualTo(200);
    assertThat(startsOf("booted").get(0).mode()).isEqualTo(StartMode.BOOT);
    assertThat(reply.header(InvocationHeaders.COLD_START_STAGES)).contains("mode=boot");

    Reply patched = api.patch(token, "/v1/functions/booted", Map.of("snapStart", true));
    assertThat(patched.as(FunctionView.class).snapStart()).isTrue();
  }

  @Test
  void burstOfFiftyColdInvocationsStartsOnlyWhatTheReservedConcurrencyAdmits() throws Exception {
    deployed("burst", Map.of());
    assertThat(api.put(token, "/v1/functions/burst/concurrency", Map.of("reservedConcurrentExecutions", 10)).status()).isEqualTo(200);
    coldStarts.hold();

    ExecutorService callers = Executors.newFixedThreadPool(50);
    try {
      List<CompletableFuture<Reply>> replies = new ArrayList<>();
      for (int i = 0; i < 50; i++) {
        replies.add(CompletableFuture.supplyAsync(() -> api.invoke(token, "burst", null, EVENT), callers));
      }
      // The 40 beyond the limit are refused while the 10 admitted wait for their instances.
      await(() -> replies.stream().filter(CompletableFuture::isDone).count() == 40);
      // An admitted request reaches its cold start after it is admitted (and after its lease row).
      await(() -> startsOf("burst").size() >= 10);
      assertThat(startsOf("burst")).hasSize(10);
      assertThat(router.inFlight(functionId("burst"))).isEqualTo(10);

      coldStarts.releaseHeld();
      List<Reply> answers = new ArrayList<>();
      for (CompletableFuture<Reply> reply : replies) {
        answers.add(reply.get(30, TimeUnit.SECONDS));
      }

      List<Reply> ok = answers.stream().filter(r -> r.status() == 200).toList();
      List<Reply> throttled = answers.stream().filter(r -> r.status() == 429).toList();
      assertThat(ok).hasSize(10);
      assertThat(throttled).hasSize(40);
      assertThat(throttled).allSatisfy(r -> assertThat(r.error().code()).isEqualTo(ErrorCode.TOO_MANY_REQUESTS));
      assertThat(ok).allSatisfy(r -> assertThat(r.header(InvocationHeaders.COLD_START)).isEqualTo("true"));
      Set<String> instances = new HashSet<>();
      ok.forEach(r -> instances.add(r.header(InvocationHeaders.INSTANCE_ID)));
      assertThat(instances).hasSize(10);
      assertThat(router.instanceIds(functionId("burst"), 1)).containsExactlyInAnyOrderElementsOf(instances);

      // Ten more, one after another: all warm, nothing started.
      for (int i = 0; i < 10; i++) {
        Reply again = api.invoke(token, "burst", null, EVENT);
        assertThat(again.header(InvocationHeaders.COLD_START)).isEqualTo("false");
        assertThat(instances).contains(again.header(InvocationHeaders.INSTANCE_ID));
      }
      assertThat(startsOf("burst")).hasSize(10);
    } finally {
      coldStarts.releaseHeld();
      callers.shutdownNow();
    }
  }

  @Test
  void theLimitCountsInvocationsInFlightOnWarmInstances() throws Exception {
    deployed("busy", Map.of());
    api.put(token, "/v1/functions/busy/concurrency", Map.of("reservedConcurrentExecutions", 2));
    invoker.closeGate();
    ExecutorService callers = Executors.newFixedThreadPool(2);
    try {
      CompletableFuture<Reply> first = CompletableFuture.supplyAsync(() -> api.invoke(token, "busy", null, EVENT), callers);
      CompletableFuture<Reply> second = CompletableFuture.supplyAsync(() -> api.invoke(token, "busy", null, EVENT), callers);
      await(() -> router.inFlight(functionId("busy")) == 2);

      Reply third = api.invoke(token, "busy", null, EVENT);

      assertThat(third.status()).as("%s", third).isEqualTo(429);
      assertThat(third.error().code()).isEqualTo(ErrorCode.TOO_MANY_REQUESTS);
      invoker.openGate();
      assertThat(first.get(30, TimeUnit.SECONDS).status()).isEqualTo(200);
      assertThat(second.get(30, TimeUnit.SECONDS).status()).isEqualTo(200);
      assertThat(api.invoke(token, "busy", null, EVENT).status()).isEqualTo(200);
      assertThat(router.inFlight(functionId("busy"))).isZero();
    } finally {
      invoker.openGate();
      callers.shutdownNow();
    }
  }

  @Test
  void reservedConcurrencyOfZeroThrottlesEveryInvocation() {
    deployed("off", Map.of());
    api.put(token, "/v1/functions/off/concurrency", Map.of("reservedConcurrentExecutions", 0));

    Reply reply = api.invoke(token, "off", null, EVENT);

    assertThat(reply.status()).isEqualTo(429);
    assertThat(startsOf("off")).isEmpty();
  }

  @Test
  void reservedConcurrencyIsSetReadAndRemoved() {
    deployed("limits", Map.of());
    String uri = "/v1/functions/limits/concurrency";

    assertThat(api.get(token, uri).as(ConcurrencyView.class).reservedConcurrentExecutions()).isNull();
    Reply put = api.put(token, uri, Map.of("reservedConcurrentExecutions", 5));
    assertThat(put.status()).as("%s", put).isEqualTo(200);
    assertThat(put.as(ConcurrencyView.class).reservedConcurrentExecutions()).isEqualTo(5);
    assertThat(api.get(token, uri).as(ConcurrencyView.class).reservedConcurrentExecutions()).isEqualTo(5);
    assertThat(functions.findById(functionId("limits")).orElseThrow().reservedConcurrency()).isEqualTo(5);

    assertThat(api.delete(token, uri).status()).isEqualTo(204);
    assertThat(api.get(token, uri).as(ConcurrencyView.class).reservedConcurrentExecutions()).isNull();
  }

  @Test
  void aTenantCantInvokeAnotherTenantsFunction() {
    deployed("private", Map.of());
    TenantAccess other = api.newTenant("intruder");
    int callsBefore = invoker.calls().size();

    Reply reply = api.invoke(other.token(), "private", null, EVENT);

    assertThat(reply.status()).isEqualTo(404);
    assertThat(reply.error().code()).isEqualTo(ErrorCode.NOT_FOUND);
    assertThat(startsOf("private")).isEmpty();
    assertThat(invoker.calls()).hasSize(callsBefore);
  }

  @Test
  void aTimedOutInvocationIsATimeoutErrorAndItsInstanceIsRetired() {
    deployed("slow", Map.of());
    String instance = api.invoke(token, "slow", null, EVENT).header(InvocationHeaders.INSTANCE_ID);
    invoker.nextOutcome(InvocationOutcome.timeout("Task timed out after 3 seconds."));

    Reply timedOut = api.invoke(token, "slow", null, EVENT);

    assertThat(timedOut.status()).as("%s", timedOut).isEqualTo(200);
    assertThat(timedOut.header(InvocationHeaders.FUNCTION_ERROR)).isEqualTo(InvocationErrors.UNHANDLED);
    assertThat(timedOut.header(InvocationHeaders.INSTANCE_ID)).isEqualTo(instance);
    Map<String, Object> error = timedOut.asMap();
    assertThat(error).containsEntry("errorType", InvocationErrors.TIMEOUT);
    assertThat((String) error.get("errorMessage")).contains("timed out");
    assertThat(retirer.retirements()).contains(new Retirement(instance, RecordingColdStarter.NODE, "timeout"));
    assertThat(invoker.discarded()).contains(instance);
    assertThat(router.instanceIds(functionId("slow"), 1)).doesNotContain(instance);

    Reply next = api.invoke(token, "slow", null, EVENT);
    assertThat(next.header(InvocationHeaders.COLD_START)).isEqualTo("true");
    assertThat(next.header(InvocationHeaders.INSTANCE_ID)).isNotEqualTo(instance);
  }

  @Test
  void anInstanceThatNeverAnswersTimesOutAtTheFunctionsTimeout() {
    deployed("hangs", Map.of("timeoutSeconds", 1));
    String instance = api.invoke(token, "hangs", null, EVENT).header(InvocationHeaders.INSTANCE_ID);
    invoker.closeGate();

    Reply reply = api.invoke(token, "hangs", null, EVENT);

    assertThat(reply.status()).isEqualTo(200);
    assertThat(reply.header(InvocationHeaders.FUNCTION_ERROR)).isEqualTo(InvocationErrors.UNHANDLED);
    assertThat(reply.asMap()).containsEntry("errorType", InvocationErrors.TIMEOUT);
    assertThat(retirer.reasonFor(instance)).isEqualTo("timeout");
  }

  @Test
  void anUnreachableNodeAnswers503KeepsTheInstanceAndGivesItUpOnlyWhenItStaysAway() {
    deployed("faraway", Map.of());
    String instance = api.invoke(token, "faraway", null, EVENT).header(InvocationHeaders.INSTANCE_ID);
    invoker.nextOutcome(InvocationOutcome.unreachable("node node-b at http://10.0.0.9:8080 refused with 401"));

    Reply blip = api.invoke(token, "faraway", null, EVENT);
    Reply after = api.invoke(token, "faraway", null, EVENT);

    assertThat(blip.status()).as("%s", blip).isEqualTo(503);
    assertThat(blip.error().code()).isEqualTo(ErrorCode.SERVICE_UNAVAILABLE);
    assertThat(blip.text()).doesNotContain("10.0.0.9").doesNotContain("401");
    assertThat(retirer.reasonFor(instance)).isNull();
    assertThat(after.status()).isEqualTo(200);
    assertThat(after.header(InvocationHeaders.INSTANCE_ID)).isEqualTo(instance);

    for (int i = 0; i < 3; i++) {
      invoker.nextOutcome(InvocationOutcome.unreachable("node node-b can't be reached"));
      assertThat(api.invoke(token, "faraway", null, EVENT).status()).isEqualTo(503);
    }

    assertThat(retirer.retirements()).contains(new Retirement(instance, RecordingColdStarter.NODE, "unreachable"));
    assertThat(router.instanceIds(functionId("faraway"), 1)).isEmpty();
  }

  @Test
  void anIdleInstanceWhoseGuestDiedIsRetiredByTheHealthCheckAndTheNextRequestGetsANewOne() {
    deployed("fragile", Map.of());
    deployed("sturdy", Map.of());
    String dies = api.invoke(token, "fragile", null, EVENT).header(InvocationHeaders.INSTANCE_ID);
    String lives = api.invoke(token, "sturdy", null, EVENT).header(InvocationHeaders.INSTANCE_ID);
    invoker.kill(dies);

    int retired = router.checkIdle(Duration.ofSeconds(1));

    assertThat(retired).isGreaterThanOrEqualTo(1);
    assertThat(invoker.checked()).contains(dies, lives);
    assertThat(retirer.reasonFor(dies)).isEqualTo("crashed");
    assertThat(retirer.reasonFor(lives)).isNull();
    assertThat(router.instanceIds(functionId("fragile"), 1)).isEmpty();
    assertThat(router.instanceIds(functionId("sturdy"), 1)).containsExactly(lives);
    Reply next = api.invoke(token, "fragile", null, EVENT);
    assertThat(next.header(InvocationHeaders.COLD_START)).isEqualTo("true");
    assertThat(next.header(InvocationHeaders.INSTANCE_ID)).isNotEqualTo(dies);
  }

  @Test
  void anInstanceInUseIsNotHealthChecked() throws Exception {
    deployed("busy", Map.of());
    String instance = api.invoke(token, "busy", null, EVENT).header(InvocationHeaders.INSTANCE_ID);
    invoker.closeGate();
    CompletableFuture<Reply> inFlight = CompletableFuture.supplyAsync(() -> api.invoke(token, "busy", null, EVENT));
    await(() -> invoker.calls().stream().filter(c -> c.instanceId().equals(instance)).count() == 2);
    invoker.kill(instance);

    router.checkIdle(Duration.ofSeconds(1));

    assertThat(invoker.checked()).doesNotContain(instance);
    assertThat(retirer.reasonFor(instance)).isNull();
    invoker.openGate();
    assertThat(inFlight.join().status()).isEqualTo(200);
  }

  @Test
  void aCrashedInstanceIsRetiredAndReplacedOnTheNextRequest() {
    deployed("crashy", Map.of());
    String instance = api.invoke(token, "crashy", null, EVENT).header(InvocationHeaders.INSTANCE_ID);
    invoker.nextOutcome(InvocationOutcome.crashed("agent closed the connection"));

    Reply crashed = api.invoke(token, "crashy", null, EVENT);

    assertThat(crashed.status()).isEqualTo(200);
    assertThat(crashed.header(InvocationHeaders.FUNCTION_ERROR)).isEqualTo(InvocationErrors.UNHANDLED);
    assertThat(crashed.asMap()).containsEntry("errorType", InvocationErrors.INSTANCE_CRASHED);
    assertThat(retirer.retirements()).contains(new Retirement(instance, RecordingColdStarter.NODE, "crashed"));
    assertThat(router.instanceIds(functionId("crashy"), 1)).isEmpty();

    Reply replaced = api.invoke(token, "crashy", null, EVENT);

    assertThat(replaced.status()).isEqualTo(200);
    assertThat(replaced.header(InvocationHeaders.FUNCTION_ERROR)).isNull();
    assertThat(replaced.header(InvocationHeaders.COLD_START)).isEqualTo("true");
    assertThat(replaced.header(InvocationHeaders.INSTANCE_ID)).isNotEqualTo(instance);
    assertThat(startsOf("crashy")).hasSize(2);
  }

  @Test
  void anInvokerThatThrowsCountsAsACrash() {
    deployed("throws", Map.of());
    String instance = api.invoke(token, "throws", null, EVENT).header(InvocationHeaders.INSTANCE_ID);
    invoker.failNext(new IllegalStateException("socket gone"));

    Reply reply = api.invoke(token, "throws", null, EVENT);

    assertThat(reply.asMap()).containsEntry("errorType", InvocationErrors.INSTANCE_CRASHED);
    assertThat(retirer.reasonFor(instance)).isEqualTo("crashed");
  }

  @Test
  void aFunctionErrorKeepsTheInstanceWarm() {
    deployed("raises", Map.of());
    String instance = api.invoke(token, "raises", null, EVENT).header(InvocationHeaders.INSTANCE_ID);
    invoker.nextOutcome(InvocationOutcome.functionError("ValueError", "bad input", "Traceback ..."));

    Reply failed = api.invoke(token, "raises", null, EVENT);
    Reply after = api.invoke(token, "raises", null, EVENT);

    assertThat(failed.status()).isEqualTo(200);
    assertThat(failed.header(InvocationHeaders.FUNCTION_ERROR)).isEqualTo(InvocationErrors.UNHANDLED);
    assertThat(failed.asMap())
        .containsEntry("errorType", "ValueError")
        .containsEntry("errorMessage", "bad input")
        .containsEntry("trace", "Traceback ...");
    assertThat(retirer.reasonFor(instance)).isNull();
    assertThat(after.header(InvocationHeaders.COLD_START)).isEqualTo("false");
    assertThat(after.header(InvocationHeaders.INSTANCE_ID)).isEqualTo(instance);
  }

  @Test
  void idleInstancesAreReapedAfterTheKeepAlive() {
    deployed("idle", Map.of());
    String instance = api.invoke(token, "idle", null, EVENT).header(InvocationHeaders.INSTANCE_ID);

    router.reapIdle(clock.instant().plusSeconds(1));
    assertThat(retirer.reasonFor(instance)).as("still within the keep-alive").isNull();

    router.reapIdle(clock.instant().plus(Duration.ofMinutes(2)));

    assertThat(retirer.retirements()).contains(new Retirement(instance, RecordingColdStarter.NODE, "idle"));
    assertThat(invoker.discarded()).contains(instance);
    Reply next = api.invoke(token, "idle", null, EVENT);
    assertThat(next.header(InvocationHeaders.COLD_START)).isEqualTo("true");
    assertThat(next.header(InvocationHeaders.INSTANCE_ID)).isNotEqualTo(instance);
  }

  @Test
  void deletingAFunctionRetiresItsInstances() {
    deployed("doomed", Map.of());
    String instance = api.invoke(token, "doomed", null, EVENT).header(InvocationHeaders.INSTANCE_ID);

    assertThat(api.delete(token, "/v1/functions/doomed").status()).isEqualTo(204);

    assertThat(retirer.reasonFor(instance)).isEqualTo("function-deleted");
  }

  @Test
  void qualifiersNameAVersionOrAnAliasAndNoneMeansTheHighestVersion() {
    deployed("versioned", Map.of());
    publishNewVersion("versioned", 4);
    assertThat(api.post(token, "/v1/functions/versioned/aliases", Map.of("name", "stable", "version", 1)).status()).isEqualTo(201);

    assertThat(api.invoke(token, "versioned", null, EVENT).header(InvocationHeaders.VERSION)).isEqualTo("2");
    assertThat(api.invoke(token, "versioned", "$LATEST", EVENT).header(InvocationHeaders.VERSION)).isEqualTo("2");
    assertThat(api.invoke(token, "versioned", "1", EVENT).header(InvocationHeaders.VERSION)).isEqualTo("1");
    assertThat(api.invoke(token, "versioned", "2", EVENT).header(InvocationHeaders.VERSION)).isEqualTo("2");
    assertThat(api.invoke(token, "versioned", "stable", EVENT).header(InvocationHeaders.VERSION)).isEqualTo("1");
    assertThat(startsOf("versioned")).extracting(ColdStartRequest::version).containsExactlyInAnyOrder(1, 2);
    assertThat(lastCallOn(api.invoke(token, "versioned", "2", EVENT).header(InvocationHeaders.INSTANCE_ID)).timeout())
        .isEqualTo(Duration.ofSeconds(4));
  }

  @Test
  void anAliasSplitSendsInvocationsToBothVersions() {
    deployed("split", Map.of());
    publishNewVersion("split", 5);
    Reply alias =
        api.post(
            token,
            "/v1/functions/split/aliases",
            Map.of("name", "canary", "routing", List.of(Map.of("version", 1, "weight", 50), Map.of("version", 2, "weight", 50))));
    assertThat(alias.status()).as("%s", alias).isEqualTo(201);

    Set<String> served = new HashSet<>();
    for (int i = 0; i < 100; i++) {
      served.add(api.invoke(token, "split", "canary", EVENT).header(InvocationHeaders.VERSION));
    }

    assertThat(served).containsExactlyInAnyOrder("1", "2");
  }

  @Test
  void unknownVersionsAliasesAndUnpublishedFunctionsAreNotFound() {
    deployed("known", Map.of());
    api.createFunction(token, "unpublished");

    assertThat(api.invoke(token, "known", "9", EVENT).status()).isEqualTo(404);
    assertThat(api.invoke(token, "known", "nope", EVENT).status()).isEqualTo(404);
    assertThat(api.invoke(token, "unpublished", null, EVENT).status()).isEqualTo(404);
    assertThat(api.invoke(token, "missing", null, EVENT).status()).isEqualTo(404);
    assertThat(startsOf("known")).isEmpty();
  }

  @Test
  void aColdStartThatCantLoadTheCodeIsAFunctionError() {
    deployed("badcode", Map.of());
    coldStarts.failNext(ColdStartFailureTypes.CODE_LOAD_FAILED);

    Reply reply = api.invoke(token, "badcode", null, EVENT);

    assertThat(reply.status()).isEqualTo(200);
    assertThat(reply.header(InvocationHeaders.FUNCTION_ERROR)).isEqualTo(InvocationErrors.UNHANDLED);
    assertThat(reply.asMap()).containsEntry("errorType", InvocationErrors.CODE_LOAD_FAILED);
    assertThat(router.instanceIds(functionId("badcode"), 1)).isEmpty();
  }

  @Test
  void noCapacityForAColdStartIs503AndTheNextRequestStartsAgain() {
    deployed("full", Map.of());
    coldStarts.failNext(ColdStartFailureTypes.NO_CAPACITY);

    Reply refused = api.invoke(token, "full", null, EVENT);
    Reply next = api.invoke(token, "full", null, EVENT);

    assertThat(refused.status()).as("%s", refused).isEqualTo(503);
    assertThat(refused.error().code()).isEqualTo(ErrorCode.SERVICE_UNAVAILABLE);
    assertThat(next.status()).isEqualTo(200);
    assertThat(startsOf("full")).hasSize(2);
    assertThat(router.inFlight(functionId("full"))).isZero();
  }

  // --- fixtures ---

  /** A function with code and version 1 published; {@code settings} are added to the create body. */
  private FunctionView deployed(String name, Map<String, Object> settings) {
    Map<String, Object> body = TestApi.functionBody(name);
    body.putAll(settings);
    FunctionView created = api.createFunction(token, body);
    api.uploadCode(token, name, Zips.valid());
    deploys.complete(api.publish(token, name).workflowId());
    return created;
  }

  /** Changes the timeout (so the configuration differs) and publishes the next version. */
  private void publishNewVersion(String name, int timeoutSeconds) {
    assertThat(api.patch(token, "/v1/functions/" + name, Map.of("timeoutSeconds", timeoutSeconds)).status()).isEqualTo(200);
    deploys.complete(api.publish(token, name).workflowId());
  }

  private String functionId(String name) {
    FunctionRecord function = functions.findByTenantIdAndName(tenant.id(), name).orElseThrow();
    return function.id();
  }

  private List<ColdStartRequest> startsOf(String name) {
    return coldStarts.starts().stream()
        .filter(s -> s.tenantId().equals(tenant.id()) && s.functionName().equals(name))
        .toList();
  }

  private ScriptedInstanceInvoker.Call lastCallOn(String instanceId) {
    List<ScriptedInstanceInvoker.Call> calls =
        invoker.calls().stream().filter(c -> c.instanceId().equals(instanceId)).toList();
    assertThat(calls).as("invocations of %s", instanceId).isNotEmpty();
    return calls.get(calls.size() - 1);
  }

  /** Waits for a condition another thread makes true; fails after 30 s. */
  private static void await(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not met within 30 s");
      }
      Thread.sleep(10);
    }
  }
}

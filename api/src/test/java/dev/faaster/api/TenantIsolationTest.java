package dev.faaster.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.faaster.api.TestApi.TenantAccess;
import dev.faaster.api.aliases.AliasView;
import dev.faaster.api.error.ApiError;
import dev.faaster.api.error.ErrorCode;
import dev.faaster.api.functions.FunctionPage;
import dev.faaster.api.functions.FunctionView;
import dev.faaster.api.versions.DeploymentView;
import dev.faaster.api.versions.VersionView;
import io.micronaut.context.annotation.Property;
import io.micronaut.core.type.Argument;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.MediaType;
import io.micronaut.http.MutableHttpRequest;
import io.micronaut.http.client.HttpClient;
import io.micronaut.http.client.annotation.Client;
import io.micronaut.json.JsonMapper;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import jakarta.inject.Inject;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A tenant never reaches another tenant's resources, and can't even learn they exist: every route
 * answers a foreign function exactly as it answers a function that doesn't exist (404, not 403).
 */
@MicronautTest(transactional = false)
@Property(name = "spec.name", value = RecordingDeployWorkflowStarter.SPEC)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TenantIsolationTest {

  static final String A_FUNCTION = "a-private";
  static final String MISSING = "never-created";

  @Inject @Client("/") HttpClient client;
  @Inject JsonMapper json;
  @Inject Inventory inventory;
  @Inject RecordingDeployWorkflowStarter deploys;
  @Inject RecordingColdStarter coldStarts;

  TestApi api;
  TenantAccess a;
  TenantAccess b;
  byte[] aCode;

  /** A owns a function with code, published version 1 and alias "live"; B owns one function of its own. */
  @BeforeAll
  void twoTenants() {
    api = new TestApi(client, json);
    a = api.newTenant("tenant-a");
    b = api.newTenant("tenant-b");
    api.createFunction(a.token(), A_FUNCTION);
    aCode = Zips.valid();
    api.uploadCode(a.token(), A_FUNCTION, aCode);
    deploys.complete(api.publish(a.token(), A_FUNCTION).workflowId());
    Reply alias = api.post(a.token(), "/v1/functions/" + A_FUNCTION + "/aliases", Map.of("name", "live", "version", 1));
    assertThat(alias.status()).as("%s", alias).isEqualTo(201);
    api.createFunction(b.token(), "b-own");
  }

  /** A request on the function named by the argument. */
  record Route(String name, Function<String, MutableHttpRequest<?>> request) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Route> functionRoutes() {
    return Stream.of(
        route("get function", fn -> HttpRequest.GET("/v1/functions/" + fn)),
        route("patch function", fn -> json(HttpRequest.PATCH("/v1/functions/" + fn, Map.of("memoryMb", 1024)))),
        route("delete function", fn -> HttpRequest.DELETE("/v1/functions/" + fn)),
        route("upload code", fn -> HttpRequest.PUT("/v1/functions/" + fn + "/code", Zips.valid()).contentType(TestApi.ZIP)),
        route("download code", fn -> HttpRequest.GET("/v1/functions/" + fn + "/code")),
        route("publish", fn -> json(HttpRequest.POST("/v1/functions/" + fn + "/versions", Map.of()))),
        route("publish and wait", fn -> json(HttpRequest.POST("/v1/functions/" + fn + "/versions?wait=true", Map.of()))),
        route("list versions", fn -> HttpRequest.GET("/v1/functions/" + fn + "/versions")),
        route("get version", fn -> HttpRequest.GET("/v1/functions/" + fn + "/versions/1")),
        route("download version code", fn -> HttpRequest.GET("/v1/functions/" + fn + "/versions/1/code")),
        route("deployment status", fn -> HttpRequest.GET("/v1/functions/" + fn + "/deployments/1")),
        route("list aliases", fn -> HttpRequest.GET("/v1/functions/" + fn + "/aliases")),
        route("get alias", fn -> HttpRequest.GET("/v1/functions/" + fn + "/aliases/live")),
        route("create alias", fn -> json(HttpRequest.POST("/v1/functions/" + fn + "/aliases", Map.of("name", "hijack", "version", 1)))),
        route("repoint alias", fn -> json(HttpRequest.PUT("/v1/functions/" + fn + "/aliases/live", Map.of("version", 1)))),
        route("delete alias", fn -> HttpRequest.DELETE("/v1/functions/" + fn + "/aliases/live")),
        route("invoke", fn -> json(HttpRequest.POST("/v1/functions/" + fn + "/invocations", "{}"))),
        route("invoke version", fn -> json(HttpRequest.POST("/v1/functions/" + fn + "/invocations?qualifier=1", "{}"))),
        route("invoke alias", fn -> json(HttpRequest.POST("/v1/functions/" + fn + "/invocations?qualifier=live", "{}"))),
        route("get concurrency", fn -> HttpRequest.GET("/v1/functions/" + fn + "/concurrency")),
        route("reserve concurrency", fn -> json(HttpRequest.PUT("/v1/functions/" + fn + "/concurrency", Map.of("reservedConcurrentExecutions", 0)))),
        route("remove concurrency", fn -> HttpRequest.DELETE("/v1/functions/" + fn + "/concurrency")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("functionRoutes")
  void foreignFunctionIsNotFoundAndUntouched(Route route) {
    Inventory.Snapshot before = inventory.snapshot();
    int startsBefore = deploys.starts().size();
    int coldStartsBefore = coldStarts.starts().size();

    Reply foreign = api.send(b.token(), route.request().apply(A_FUNCTION));

    assertThat(foreign.status()).as("%s", foreign).isEqualTo(404);
    ApiError.Detail error = foreign.error();
    assertThat(error.code()).isEqualTo(ErrorCode.NOT_FOUND);
    assertThat(inventory.snapshot()).as("registry and bucket").isEqualTo(before);
    assertThat(deploys.starts()).as("deploys started").hasSize(startsBefore);
    assertThat(coldStarts.starts()).as("instances started").hasSize(coldStartsBefore);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("functionRoutes")
  void foreignFunctionIsAnsweredLikeAMissingOne(Route route) {
    Reply foreign = api.send(b.token(), route.request().apply(A_FUNCTION));
    Reply missing = api.send(b.token(), route.request().apply(MISSING));

    assertThat(missing.status()).isEqualTo(foreign.status());
    assertThat(missing.error().code()).isEqualTo(foreign.error().code());
    assertThat(missing.error().message().replace(MISSING, A_FUNCTION)).isEqualTo(foreign.error().message());
  }

  @Test
  void ownerSeesItsResourcesUnchangedAfterForeignAttempts() {
    Map<String, Object> before = ownersView();
    assertThat(before.get("code")).as("A's code as uploaded").isEqualTo(Zips.sha256(aCode));

    functionRoutes().forEach(route -> api.send(b.token(), route.request().apply(A_FUNCTION)));

    assertThat(ownersView()).isEqualTo(before);
  }

  @Test
  void listingShowsOnlyTheCallersFunctions() {
    FunctionPage bPage = api.get(b.token(), "/v1/functions").as(FunctionPage.class);
    FunctionPage aPage = api.get(a.token(), "/v1/functions").as(FunctionPage.class);

    assertThat(bPage.functions()).extracting(FunctionView::name).contains("b-own").doesNotContain(A_FUNCTION);
    assertThat(aPage.functions()).extracting(FunctionView::name).contains(A_FUNCTION).doesNotContain("b-own");
  }

  @Test
  void sameFunctionNameExistsIndependentlyInEachTenant() {
    api.createFunction(a.token(), Map.of("name", "twin", "runtime", "provided", "memoryMb", 128));
    api.createFunction(b.token(), Map.of("name", "twin", "runtime", "python3", "handler", "main.handler", "memoryMb", 512));

    Reply bPatch = api.patch(b.token(), "/v1/functions/twin", Map.of("timeoutSeconds", 60));
    assertThat(bPatch.status()).as("%s", bPatch).isEqualTo(200);
    api.uploadCode(b.token(), "twin", Zips.valid());

    FunctionView aTwin = api.get(a.token(), "/v1/functions/twin").as(FunctionView.class);
    FunctionView bTwin = api.get(b.token(), "/v1/functions/twin").as(FunctionView.class);
    assertThat(aTwin.runtime()).isEqualTo("provided");
    assertThat(aTwin.memoryMb()).isEqualTo(128);
    assertThat(aTwin.timeoutSeconds()).isEqualTo(3);
    assertThat(aTwin.code()).as("A's twin has no code").isNull();
    assertThat(bTwin.runtime()).isEqualTo("python3");
    assertThat(bTwin.memoryMb()).isEqualTo(512);
    assertThat(bTwin.timeoutSeconds()).isEqualTo(60);
    assertThat(bTwin.code()).isNotNull();

    assertThat(api.delete(b.token(), "/v1/functions/twin").status()).isEqualTo(204);
    assertThat(api.get(b.token(), "/v1/functions/twin").status()).isEqualTo(404);
    assertThat(api.get(a.token(), "/v1/functions/twin").as(FunctionView.class)).isEqualTo(aTwin);
  }

  /** Everything A can read about its function, over HTTP. */
  private Map<String, Object> ownersView() {
    String base = "/v1/functions/" + A_FUNCTION;
    return Map.of(
        "function", api.get(a.token(), base).as(FunctionView.class),
        "code", Zips.sha256(api.get(a.token(), base + "/code").body()),
        "versions", api.get(a.token(), base + "/versions").as(Argument.listOf(VersionView.class)),
        "versionCode", Zips.sha256(api.get(a.token(), base + "/versions/1/code").body()),
        "deployment", api.get(a.token(), base + "/deployments/1").as(DeploymentView.class),
        "concurrency", api.get(a.token(), base + "/concurrency").text(),
        "aliases", api.get(a.token(), base + "/aliases").as(Argument.listOf(AliasView.class)));
  }

  private static Route route(String name, Function<String, MutableHttpRequest<?>> request) {
    return new Route(name, request);
  }

  private static MutableHttpRequest<?> json(MutableHttpRequest<?> request) {
    return request.contentType(MediaType.APPLICATION_JSON_TYPE);
  }
}

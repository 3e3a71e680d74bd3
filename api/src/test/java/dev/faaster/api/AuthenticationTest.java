package dev.faaster.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.faaster.api.TestApi.TenantAccess;
import dev.faaster.api.auth.BearerTokenFilter;
import dev.faaster.api.auth.Tokens;
import dev.faaster.api.error.ApiError;
import dev.faaster.api.error.ErrorCode;
import dev.faaster.registry.ApiToken;
import dev.faaster.registry.ApiTokenRepository;
import io.micronaut.context.annotation.Property;
import io.micronaut.http.HttpHeaders;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.MutableHttpRequest;
import io.micronaut.http.client.HttpClient;
import io.micronaut.http.client.annotation.Client;
import io.micronaut.json.JsonMapper;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import jakarta.inject.Inject;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Who may call what: /v1 needs a bearer token, admin tokens manage tenants only, tenant tokens
 * manage functions only; health and metrics are open.
 */
@MicronautTest(transactional = false)
@Property(name = "spec.name", value = RecordingDeployWorkflowStarter.SPEC)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AuthenticationTest {

  @Inject @Client("/") HttpClient client;
  @Inject JsonMapper json;
  @Inject Inventory inventory;
  @Inject ApiTokenRepository tokens;
  @Inject BearerTokenFilter filter;

  TestApi api;
  TenantAccess tenant;

  @BeforeAll
  void tenantWithAFunction() {
    api = new TestApi(client, json);
    tenant = api.newTenant("auth");
    api.createFunction(tenant.token(), "guarded");
  }

  /** One route of each kind, as a request without credentials. */
  Stream<Route> protectedRoutes() {
    return Stream.of(
        route("list functions", t -> HttpRequest.GET("/v1/functions")),
        route("get function", t -> HttpRequest.GET("/v1/functions/guarded")),
        route("create function", t -> HttpRequest.POST("/v1/functions", Map.of("name", "sneaky", "runtime", "provided"))),
        route("upload code", t -> HttpRequest.PUT("/v1/functions/guarded/code", Zips.valid()).contentType(TestApi.ZIP)),
        route("list tenants", t -> HttpRequest.GET("/v1/tenants")),
        route("create tenant", t -> HttpRequest.POST("/v1/tenants", Map.of("name", "sneaky"))),
        // Authentication comes before routing: an unknown /v1 path reveals nothing either.
        route("unknown /v1 path", t -> HttpRequest.GET("/v1/does-not-exist")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("protectedRoutes")
  void requestWithoutAuthorizationHeaderIsUnauthenticatedWithAChallenge(Route route) {
    Inventory.Snapshot before = inventory.snapshot();

    Reply reply = api.send(route.request().apply(this));

    assertUnauthenticated(reply);
    assertThat(inventory.snapshot()).isEqualTo(before);
  }

  @Test
  void unknownTokenIsUnauthenticated() {
    Reply reply = api.get("fst_" + "A".repeat(43), "/v1/functions");

    assertUnauthenticated(reply);
  }

  @Test
  void aValidTokenIsRememberedUntilForgotten() {
    TenantAccess other = api.newTenant("remembered");
    assertThat(api.get(other.token(), "/v1/functions").status()).isEqualTo(200);
    String hash = Tokens.hash(other.token());
    ApiToken row = tokens.findByTokenHash(hash).orElseThrow();

    // Without its row the token still works from memory (no database read per request) ...
    tokens.delete(row);
    assertThat(api.get(other.token(), "/v1/functions").status()).as("remembered").isEqualTo(200);
    // ... until it is forgotten, as a revocation would.
    filter.forget(hash);
    assertUnauthenticated(api.get(other.token(), "/v1/functions"));
  }

  @Test
  void tokenOfAnotherSchemeIsUnauthenticated() {
    // The tenant's real secret, but sent as Basic credentials.
    Reply reply = api.send(HttpRequest.GET("/v1/functions").header(HttpHeaders.AUTHORIZATION, "Basic " + tenant.token()));

    assertUnauthenticated(reply);
  }

  @Test
  void basicCredentialsAreUnauthenticated() {
    Reply reply = api.send(HttpRequest.GET("/v1/functions").basicAuth("admin", TestApi.ADMIN_TOKEN));

    assertUnauthenticated(reply);
  }

  @Test
  void bearerSchemeWithoutATokenIsUnauthenticated() {
    Reply reply = api.send(HttpRequest.GET("/v1/functions").header(HttpHeaders.AUTHORIZATION, "Bearer   "));

    assertUnauthenticated(reply);
  }

  @Test
  void bearerSchemeIsCaseInsensitive() {
    Reply reply = api.send(HttpRequest.GET("/v1/functions/guarded").header(HttpHeaders.AUTHORIZATION, "bearer " + tenant.token()));

    assertThat(reply.status()).as("%s", reply).isEqualTo(200);
  }

  Stream<Route> adminRoutes() {
    return Stream.of(
        route("list tenants", t -> HttpRequest.GET("/v1/tenants")),
        route("get own tenant", t -> HttpRequest.GET("/v1/tenants/" + t.tenant.id())),
        route("create tenant", t -> HttpRequest.POST("/v1/tenants", Map.of("name", "made-by-a-tenant"))),
        route("create token for own tenant", t -> HttpRequest.POST("/v1/tenants/" + t.tenant.id() + "/tokens", Map.of("description", "escalation"))));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("adminRoutes")
  void tenantTokenOnAdminRouteIsForbidden(Route route) {
    Inventory.Snapshot before = inventory.snapshot();

    Reply reply = api.send(tenant.token(), route.request().apply(this));

    assertForbidden(reply);
    assertThat(inventory.snapshot()).as("no tenant or token was created").isEqualTo(before);
  }

  Stream<Route> functionRoutes() {
    return Stream.of(
        route("list functions", t -> HttpRequest.GET("/v1/functions")),
        route("create function", t -> HttpRequest.POST("/v1/functions", Map.of("name", "admin-owned", "runtime", "provided"))),
        route("get function", t -> HttpRequest.GET("/v1/functions/guarded")),
        route("delete function", t -> HttpRequest.DELETE("/v1/functions/guarded")),
        route("upload code", t -> HttpRequest.PUT("/v1/functions/guarded/code", Zips.valid()).contentType(TestApi.ZIP)),
        route("publish", t -> HttpRequest.POST("/v1/functions/guarded/versions", Map.of())),
        route("list aliases", t -> HttpRequest.GET("/v1/functions/guarded/aliases")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("functionRoutes")
  void adminTokenOnFunctionRouteIsForbidden(Route route) {
    Inventory.Snapshot before = inventory.snapshot();

    Reply reply = api.send(TestApi.ADMIN_TOKEN, route.request().apply(this));

    assertForbidden(reply);
    assertThat(inventory.snapshot()).isEqualTo(before);
  }

  @Test
  void adminTokenManagesTenants() {
    Reply reply = api.get(TestApi.ADMIN_TOKEN, "/v1/tenants/" + tenant.id());

    assertThat(reply.status()).as("%s", reply).isEqualTo(200);
    assertThat(reply.asMap()).containsEntry("name", tenant.name());
  }

  @Test
  void healthNeedsNoToken() {
    Reply reply = api.get(null, "/health");

    // 503 while the (absent) Temporal server is unreachable; never a demand for credentials.
    assertThat(reply.status()).as("%s", reply).isIn(200, 503);
    assertThat(reply.header(HttpHeaders.WWW_AUTHENTICATE)).isNull();
    Map<String, Object> health = reply.asMap();
    assertThat(health).containsKey("status");
    assertThat(health.get("details")).asInstanceOf(InstanceOfAssertFactories.MAP).containsKey("objectStore");
    Map<?, ?> objectStore = (Map<?, ?>) ((Map<?, ?>) health.get("details")).get("objectStore");
    assertThat(objectStore.get("status")).as("the embedded object store").isEqualTo("UP");
  }

  @Test
  void livenessNeedsNoTokenAndIsUp() {
    Reply reply = api.get(null, "/health/liveness");

    assertThat(reply.status()).as("%s", reply).isEqualTo(200);
    assertThat(reply.asMap()).containsEntry("status", "UP");
  }

  @Test
  void metricsNeedNoTokenAndTimeApiRequests() {
    assertThat(api.get(tenant.token(), "/v1/functions/guarded").status()).isEqualTo(200);

    Reply reply = api.get(null, "/prometheus");

    assertThat(reply.status()).as("%s", reply).isEqualTo(200);
    assertThat(reply.text()).contains("faaster_api_requests");
  }

  /** A request of the test, named for the report. */
  record Route(String name, Function<AuthenticationTest, MutableHttpRequest<?>> request) {
    @Override
    public String toString() {
      return name;
    }
  }

  private static Route route(String name, Function<AuthenticationTest, MutableHttpRequest<?>> request) {
    return new Route(name, request);
  }

  private static void assertUnauthenticated(Reply reply) {
    assertThat(reply.status()).as("%s", reply).isEqualTo(401);
    assertThat(reply.header(HttpHeaders.WWW_AUTHENTICATE)).startsWith("Bearer");
    ApiError.Detail error = reply.error();
    assertThat(error.code()).isEqualTo(ErrorCode.UNAUTHENTICATED);
    assertThat(error.message()).isNotBlank();
  }

  private static void assertForbidden(Reply reply) {
    assertThat(reply.status()).as("%s", reply).isEqualTo(403);
    ApiError.Detail error = reply.error();
    assertThat(error.code()).isEqualTo(ErrorCode.FORBIDDEN);
    assertThat(error.message()).isNotBlank();
  }
}

package dev.faaster.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.faaster.api.TestApi.TenantAccess;
import dev.faaster.api.error.ApiError;
import dev.faaster.api.error.ErrorCode;
import dev.faaster.api.versions.DeploymentView;
import dev.faaster.packagestore.PackageProblem;
import io.micronaut.context.annotation.Property;
import io.micronaut.http.HttpHeaders;
import io.micronaut.http.HttpMethod;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.MediaType;
import io.micronaut.http.MutableHttpRequest;
import io.micronaut.http.client.HttpClient;
import io.micronaut.http.client.annotation.Client;
import io.micronaut.json.JsonMapper;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import jakarta.inject.Inject;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every request the API refuses: each answers its status and stable code with a sentence, and
 * leaves the registry and the bucket exactly as they were (no row added, changed or removed, no
 * object written or deleted, no deploy started).
 */
@MicronautTest(transactional = false)
@Property(name = "spec.name", value = RecordingDeployWorkflowStarter.SPEC)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ValidationErrorsTest {

  /** Codes that aren't about a refused request's content; other tests cover the first two. */
  static final Set<String> NOT_VALIDATION =
      Set.of(
          ErrorCode.UNAUTHENTICATED,
          ErrorCode.FORBIDDEN,
          ErrorCode.CONCURRENT_MODIFICATION,
          ErrorCode.DEPLOY_FAILED,
          ErrorCode.SERVICE_UNAVAILABLE,
          ErrorCode.INTERNAL);

  @Inject @Client("/") HttpClient client;
  @Inject JsonMapper json;
  @Inject Inventory inventory;
  @Inject RecordingDeployWorkflowStarter deploys;
  @Inject RecordingColdStarter coldStarts;

  TestApi api;
  TenantAccess tenant;

  /**
   * "existing": code uploaded, version 1 published, alias "live" on it; "nocode": no code;
   * "pending": version 1 still deploying; "throttled": version 1 published, reserved concurrency 0.
   */
  @BeforeAll
  void tenantWithPublishedDeployingAndEmptyFunctions() {
    api = new TestApi(client, json);
    tenant = api.newTenant("validation");
    String t = tenant.token();
    api.createFunction(t, "existing");
    api.uploadCode(t, "existing", Zips.valid());
    DeploymentView v1 = api.publish(t, "existing");
    deploys.complete(v1.workflowId());
    Reply alias = api.post(t, "/v1/functions/existing/aliases", Map.of("name", "live", "version", 1));
    assertThat(alias.status()).as("alias: %s", alias).isEqualTo(201);
    api.createFunction(t, "nocode");
    api.createFunction(t, "pending");
    api.uploadCode(t, "pending", Zips.valid());
    api.publish(t, "pending");
    api.createFunction(t, "throttled");
    api.uploadCode(t, "throttled", Zips.valid());
    deploys.complete(api.publish(t, "throttled").workflowId());
    Reply throttle = api.put(t, "/v1/functions/throttled/concurrency", Map.of("reservedConcurrentExecutions", 0));
    assertThat(throttle.status()).as("throttle: %s", throttle).isEqualTo(200);
  }

  /** A request the API must refuse with {@code status} and {@code code}. */
  record Refusal(String name, Supplier<Reply> call, int status, String code) {
    @Override
    public String toString() {
      return name + " -> " + status + " " + code;
    }
  }

  Stream<Refusal> refusals() {
    return Stream.of(
            // Functions: create
            create("function name with a space", Map.of("name", "bad name", "runtime", "provided"), 400, ErrorCode.INVALID_NAME),
            create("function name of 65 characters", Map.of("name", "f".repeat(65), "runtime", "provided"), 400, ErrorCode.INVALID_NAME),
            create("empty function name", Map.of("name", "", "runtime", "provided"), 400, ErrorCode.INVALID_NAME),
            create("unknown runtime", Map.of("name", "fn-a", "runtime", "nodejs18"), 400, ErrorCode.UNKNOWN_RUNTIME),
            create("unknown memory flavor", Map.of("name", "fn-a", "runtime", "provided", "memoryMb", 300), 400, ErrorCode.UNKNOWN_MEMORY_FLAVOR),
            create("timeout of 0 seconds", Map.of("name", "fn-a", "runtime", "provided", "timeoutSeconds", 0), 400, ErrorCode.INVALID_TIMEOUT),
            create("timeout of 901 seconds", Map.of("name", "fn-a", "runtime", "provided", "timeoutSeconds", 901), 400, ErrorCode.INVALID_TIMEOUT),
            create("python3 without a handler", Map.of("name", "fn-a", "runtime", "python3"), 400, ErrorCode.INVALID_HANDLER),
            create("python3 handler without a function", Map.of("name", "fn-a", "runtime", "python3", "handler", "main"), 400, ErrorCode.INVALID_HANDLER),
            create("python3 handler with a path", Map.of("name", "fn-a", "runtime", "python3", "handler", "src/main.handler"), 400, ErrorCode.INVALID_HANDLER),
            create("handler over 128 characters", Map.of("name", "fn-a", "runtime", "provided", "handler", "h".repeat(129)), 400, ErrorCode.INVALID_HANDLER),
            create("environment key starting with a digit", env(Map.of("1ST", "x")), 400, ErrorCode.INVALID_ENVIRONMENT),
            create("environment key with a dash", env(Map.of("MY-KEY", "x")), 400, ErrorCode.INVALID_ENVIRONMENT),
            create("environment key with the reserved FAASTER_ prefix", env(Map.of("FAASTER_TOKEN", "x")), 400, ErrorCode.INVALID_ENVIRONMENT),
            create("environment over 4 KiB", env(Map.of("BIG", "x".repeat(4094))), 400, ErrorCode.INVALID_ENVIRONMENT),
            create("description over 256 characters", Map.of("name", "fn-a", "runtime", "provided", "description", "d".repeat(257)), 400, ErrorCode.VALIDATION_FAILED),
            create("duplicate function name", Map.of("name", "existing", "runtime", "provided"), 409, ErrorCode.FUNCTION_EXISTS),
            refusal("malformed JSON", () -> api.send(tenant.token(), jsonRequest("POST", "/v1/functions", "{\"name\": \"fn-a\", ")), 400, ErrorCode.MALFORMED_REQUEST),
            refusal("memory that isn't a number", () -> api.send(tenant.token(), jsonRequest("POST", "/v1/functions", "{\"name\":\"fn-a\",\"runtime\":\"provided\",\"memoryMb\":\"lots\"}")), 400, ErrorCode.MALFORMED_REQUEST),
            refusal("JSON body over the server's request size limit", () -> api.send(tenant.token(), jsonRequest("POST", "/v1/functions", "{\"name\":\"" + "n".repeat(3 << 20) + "\"}")), 413, ErrorCode.PAYLOAD_TOO_LARGE),
            // Functions: reconfigure
            patch("patch to an unknown memory flavor", Map.of("memoryMb", 100), 400, ErrorCode.UNKNOWN_MEMORY_FLAVOR),
            patch("patch to a timeout of 0", Map.of("timeoutSeconds", 0), 400, ErrorCode.INVALID_TIMEOUT),
            patch("patch to an unknown runtime", Map.of("runtime", "java"), 400, ErrorCode.UNKNOWN_RUNTIME),
            patch("patch to python3 without a handler", Map.of("runtime", "python3"), 400, ErrorCode.INVALID_HANDLER),
            patch("patch to a reserved environment key", Map.of("environment", Map.of("FAASTER_X", "1")), 400, ErrorCode.INVALID_ENVIRONMENT),
            patch("patch to a description over 256 characters", Map.of("description", "d".repeat(257)), 400, ErrorCode.VALIDATION_FAILED),
            // Functions: list
            refusal("page limit of 0", () -> api.get(tenant.token(), "/v1/functions?limit=0"), 400, ErrorCode.VALIDATION_FAILED),
            refusal("page limit of 101", () -> api.get(tenant.token(), "/v1/functions?limit=101"), 400, ErrorCode.VALIDATION_FAILED),
            refusal("page limit that isn't a number", () -> api.get(tenant.token(), "/v1/functions?limit=ten"), 400, ErrorCode.MALFORMED_REQUEST),
            // Code
            upload("zip with an absolute path", Zips.withEntry("/etc/profile.d/evil.sh"), 400, PackageProblem.UNSAFE_PATH.name()),
            upload("zip with a '..' entry", Zips.withEntry("../escape.sh"), 400, PackageProblem.UNSAFE_PATH.name()),
            upload("zip with a '..' inside a path", Zips.withEntry("lib/../../escape.sh"), 400, PackageProblem.UNSAFE_PATH.name()),
            upload("zip with a drive-letter path", Zips.withEntry("C:/Windows/evil.dll"), 400, PackageProblem.UNSAFE_PATH.name()),
            upload("zip bomb past the expansion ratio", Zips.bomb(2 << 20), 400, PackageProblem.ZIP_BOMB.name()),
            upload("zip bomb past the unzipped size limit", bombPastUncompressedLimit(), 400, PackageProblem.ZIP_BOMB.name()),
            upload("package over the size limit", Zips.randomBytes((1 << 20) + 1), 413, PackageProblem.PACKAGE_TOO_LARGE.name()),
            upload("package that isn't a zip", "just some text, not a zip".getBytes(), 400, PackageProblem.NOT_A_ZIP.name()),
            upload("empty body", new byte[0], 400, PackageProblem.PACKAGE_EMPTY.name()),
            upload("zip without entries", Zips.noEntries(), 400, PackageProblem.PACKAGE_EMPTY.name()),
            upload("zip with more entries than the limit", Zips.entries(51), 400, PackageProblem.TOO_MANY_ENTRIES.name()),
            refusal(
                "code upload as JSON",
                () -> api.send(tenant.token(), HttpRequest.PUT("/v1/functions/existing/code", "{}").contentType(MediaType.APPLICATION_JSON_TYPE)),
                415,
                ErrorCode.UNSUPPORTED_MEDIA_TYPE),
            refusal(
                "code upload as text",
                () -> api.send(tenant.token(), HttpRequest.PUT("/v1/functions/existing/code", "PK").contentType(MediaType.TEXT_PLAIN_TYPE)),
                415,
                ErrorCode.UNSUPPORTED_MEDIA_TYPE),
            refusal("code download before any upload", () -> api.get(tenant.token(), "/v1/functions/nocode/code"), 404, ErrorCode.NO_CODE),
            // Versions
            refusal("publish without code", () -> api.post(tenant.token(), "/v1/functions/nocode/versions", Map.of()), 409, ErrorCode.NO_CODE),
            refusal(
                "publish with a description over 256 characters",
                () -> api.post(tenant.token(), "/v1/functions/existing/versions", Map.of("description", "d".repeat(257))),
                400,
                ErrorCode.VALIDATION_FAILED),
            refusal("version that doesn't exist", () -> api.get(tenant.token(), "/v1/functions/existing/versions/99"), 404, ErrorCode.NOT_FOUND),
            refusal("version number that isn't a number", () -> api.get(tenant.token(), "/v1/functions/existing/versions/latest"), 400, ErrorCode.MALFORMED_REQUEST),
            refusal("deployment that doesn't exist", () -> api.get(tenant.token(), "/v1/functions/existing/deployments/99"), 404, ErrorCode.NOT_FOUND),
            refusal("delete while a deploy is in progress", () -> api.delete(tenant.token(), "/v1/functions/pending"), 409, ErrorCode.DEPLOY_IN_PROGRESS),
            refusal("function that doesn't exist", () -> api.get(tenant.token(), "/v1/functions/missing"), 404, ErrorCode.NOT_FOUND),
            // Aliases
            alias("alias name with a space", Map.of("name", "my alias", "version", 1), 400, ErrorCode.INVALID_NAME),
            alias("alias name of only digits", Map.of("name", "123", "version", 1), 400, ErrorCode.INVALID_NAME),
            alias("alias name of 65 characters", Map.of("name", "a".repeat(65), "version", 1), 400, ErrorCode.INVALID_NAME),
            alias("alias without a name", Map.of("version", 1), 400, ErrorCode.INVALID_NAME),
            alias("weights adding up to 90", routing(List.of(w(1, 60), w(2, 30))), 400, ErrorCode.INVALID_ROUTING),
            alias("single weight of 50", routing(List.of(w(1, 50))), 400, ErrorCode.INVALID_ROUTING),
            alias("three routing entries", routing(List.of(w(1, 40), w(2, 30), w(3, 30))), 400, ErrorCode.INVALID_ROUTING),
            alias("the same version twice", routing(List.of(w(1, 50), w(1, 50))), 400, ErrorCode.INVALID_ROUTING),
            alias("weight of 0", routing(List.of(w(1, 100), w(2, 0))), 400, ErrorCode.INVALID_ROUTING),
            alias("weight of 101", routing(List.of(w(1, 101), w(2, -1))), 400, ErrorCode.INVALID_ROUTING),
            alias("empty routing", routing(List.of()), 400, ErrorCode.INVALID_ROUTING),
            alias("both version and routing", Map.of("name", "new", "version", 1, "routing", List.of(w(1, 100))), 400, ErrorCode.INVALID_ROUTING),
            alias("neither version nor routing", Map.of("name", "new"), 400, ErrorCode.INVALID_ROUTING),
            alias("version that was never published", Map.of("name", "new", "version", 7), 400, ErrorCode.VERSION_NOT_FOUND),
            alias("routing naming a version that doesn't exist", routing(List.of(w(1, 90), w(7, 10))), 400, ErrorCode.VERSION_NOT_FOUND),
            refusal(
                "version still deploying",
                () -> api.post(tenant.token(), "/v1/functions/pending/aliases", Map.of("name", "new", "version", 1)),
                400,
                ErrorCode.VERSION_NOT_FOUND),
            alias("duplicate alias", Map.of("name", "live", "version", 1), 409, ErrorCode.ALIAS_EXISTS),
            refusal(
                "repoint with weights adding up to 110",
                () -> api.put(tenant.token(), "/v1/functions/existing/aliases/live", Map.of("routing", List.of(w(1, 70), w(2, 40)))),
                400,
                ErrorCode.INVALID_ROUTING),
            refusal(
                "repoint to a version that doesn't exist",
                () -> api.put(tenant.token(), "/v1/functions/existing/aliases/live", Map.of("version", 9)),
                400,
                ErrorCode.VERSION_NOT_FOUND),
            refusal("alias that doesn't exist", () -> api.get(tenant.token(), "/v1/functions/existing/aliases/nope"), 404, ErrorCode.NOT_FOUND),
            // Invocations
            refusal(
                "event over the invocation payload limit",
                () -> api.invoke(tenant.token(), "existing", null, "\"" + "e".repeat(1 << 20) + "\""),
                413,
                ErrorCode.PAYLOAD_TOO_LARGE),
            refusal("qualifier that is neither a version nor an alias", () -> api.invoke(tenant.token(), "existing", "v.1", "{}"), 400, ErrorCode.INVALID_QUALIFIER),
            refusal("qualifier of version 0", () -> api.invoke(tenant.token(), "existing", "0", "{}"), 400, ErrorCode.INVALID_QUALIFIER),
            refusal(
                "invocation type that is neither RequestResponse nor Event",
                () -> api.send(tenant.token(), HttpRequest.POST("/v1/functions/existing/invocations", "{}")
                    .contentType(MediaType.APPLICATION_JSON_TYPE).header("X-Faaster-Invocation-Type", "DryRun")),
                400,
                ErrorCode.INVALID_INVOCATION_TYPE),
            refusal("invocation of a version that doesn't exist", () -> api.invoke(tenant.token(), "existing", "99", "{}"), 404, ErrorCode.NOT_FOUND),
            refusal("invocation through an alias that doesn't exist", () -> api.invoke(tenant.token(), "existing", "nope", "{}"), 404, ErrorCode.NOT_FOUND),
            refusal("invocation of a function never published", () -> api.invoke(tenant.token(), "nocode", null, "{}"), 404, ErrorCode.NOT_FOUND),
            refusal("invocation of a function that doesn't exist", () -> api.invoke(tenant.token(), "missing", null, "{}"), 404, ErrorCode.NOT_FOUND),
            refusal("invocation beyond the reserved concurrency", () -> api.invoke(tenant.token(), "throttled", null, "{}"), 429, ErrorCode.TOO_MANY_REQUESTS),
            concurrency("reserved concurrency of -1", Map.of("reservedConcurrentExecutions", -1), 400, ErrorCode.INVALID_CONCURRENCY),
            concurrency("reserved concurrency over the maximum", Map.of("reservedConcurrentExecutions", 1001), 400, ErrorCode.INVALID_CONCURRENCY),
            concurrency("reserved concurrency without a value", Map.of(), 400, ErrorCode.INVALID_CONCURRENCY),
            refusal(
                "reserved concurrency that isn't a number",
                () -> api.send(tenant.token(), jsonRequest("PUT", "/v1/functions/existing/concurrency", "{\"reservedConcurrentExecutions\":\"many\"}")),
                400,
                ErrorCode.MALFORMED_REQUEST),
            refusal(
                "reserved concurrency of a function that doesn't exist",
                () -> api.put(tenant.token(), "/v1/functions/missing/concurrency", Map.of("reservedConcurrentExecutions", 1)),
                404,
                ErrorCode.NOT_FOUND),
            // Tenants
            tenant("duplicate tenant", () -> Map.of("name", tenant.name()), 409, ErrorCode.TENANT_EXISTS),
            tenant("tenant name with uppercase letters", () -> Map.of("name", "Acme"), 400, ErrorCode.INVALID_NAME),
            tenant("tenant name starting with a dash", () -> Map.of("name", "-acme"), 400, ErrorCode.INVALID_NAME),
            tenant("tenant name of 64 characters", () -> Map.of("name", "a".repeat(64)), 400, ErrorCode.INVALID_NAME),
            refusal("malformed tenant JSON", () -> api.send(TestApi.ADMIN_TOKEN, jsonRequest("POST", "/v1/tenants", "{name: acme}")), 400, ErrorCode.MALFORMED_REQUEST),
            refusal(
                "token description over 256 characters",
                () -> api.post(TestApi.ADMIN_TOKEN, "/v1/tenants/" + tenant.id() + "/tokens", Map.of("description", "d".repeat(257))),
                400,
                ErrorCode.VALIDATION_FAILED),
            refusal(
                "token for a tenant that doesn't exist",
                () -> api.post(TestApi.ADMIN_TOKEN, "/v1/tenants/no-such-tenant/tokens", Map.of()),
                404,
                ErrorCode.NOT_FOUND),
            // Routing
            refusal("unknown route under /v1", () -> api.get(tenant.token(), "/v1/nothing/here"), 404, ErrorCode.NOT_FOUND),
            refusal("unknown route outside /v1", () -> api.get(null, "/nothing-here"), 404, ErrorCode.NOT_FOUND),
            refusal("method the route doesn't allow", () -> api.patch(TestApi.ADMIN_TOKEN, "/v1/tenants", Map.of("name", "x")), 405, ErrorCode.METHOD_NOT_ALLOWED));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("refusals")
  void refusedRequestAnswersItsCodeAndLeavesNothingBehind(Refusal refusal) {
    Inventory.Snapshot before = inventory.snapshot();
    int startsBefore = deploys.starts().size();
    int coldStartsBefore = coldStarts.starts().size();

    Reply reply = refusal.call().get();

    assertThat(reply.status()).as("status of %s", reply).isEqualTo(refusal.status());
    assertThat(reply.header(HttpHeaders.CONTENT_TYPE)).as("content type of %s", reply).startsWith(MediaType.APPLICATION_JSON);
    ApiError.Detail error = reply.error();
    assertThat(error.code()).as("code of %s", reply).isEqualTo(refusal.code());
    assertThat(error.message()).as("message of %s", reply).isNotBlank();

    Inventory.Snapshot after = inventory.snapshot();
    assertThat(after.rowCounts()).as("row counts").isEqualTo(before.rowCounts());
    assertThat(after.rows()).as("stored rows").isEqualTo(before.rows());
    assertThat(after.objectKeys()).as("object keys in the bucket").isEqualTo(before.objectKeys());
    assertThat(deploys.starts()).as("deploys started").hasSize(startsBefore);
    assertThat(coldStarts.starts()).as("instances started").hasSize(coldStartsBefore);
  }

  /** A new refusal code (an ErrorCode or a PackageProblem) fails here until it has a case above. */
  @Test
  void everyRefusalCodeTheApiDefinesHasACase() throws IllegalAccessException {
    Set<String> covered = refusals().map(Refusal::code).collect(Collectors.toSet());
    Set<String> defined = new TreeSet<>();
    for (Field field : ErrorCode.class.getFields()) {
      if (Modifier.isStatic(field.getModifiers()) && field.getType() == String.class) {
        defined.add((String) field.get(null));
      }
    }
    defined.removeAll(NOT_VALIDATION);
    Arrays.stream(PackageProblem.values()).map(Enum::name).forEach(defined::add);

    assertThat(covered).containsAll(defined);
  }

  // --- case builders ---

  private Refusal refusal(String name, Supplier<Reply> call, int status, String code) {
    return new Refusal(name, call, status, code);
  }

  private Refusal create(String name, Map<String, Object> body, int status, String code) {
    return refusal(name, () -> api.post(tenant.token(), "/v1/functions", body), status, code);
  }

  private Refusal patch(String name, Map<String, Object> body, int status, String code) {
    return refusal(name, () -> api.patch(tenant.token(), "/v1/functions/existing", body), status, code);
  }

  private Refusal upload(String name, byte[] zip, int status, String code) {
    return refusal(name, () -> api.upload(tenant.token(), "existing", zip), status, code);
  }

  private Refusal alias(String name, Map<String, Object> body, int status, String code) {
    return refusal(name, () -> api.post(tenant.token(), "/v1/functions/existing/aliases", body), status, code);
  }

  private Refusal concurrency(String name, Map<String, Object> body, int status, String code) {
    return refusal(name, () -> api.put(tenant.token(), "/v1/functions/existing/concurrency", body), status, code);
  }

  private Refusal tenant(String name, Supplier<Map<String, Object>> body, int status, String code) {
    return refusal(name, () -> api.post(TestApi.ADMIN_TOKEN, "/v1/tenants", body.get()), status, code);
  }

  private static Map<String, Object> env(Map<String, String> environment) {
    return Map.of("name", "fn-a", "runtime", "provided", "environment", environment);
  }

  private static Map<String, Object> routing(List<Map<String, Object>> routing) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("name", "new");
    body.put("routing", routing);
    return body;
  }

  private static Map<String, Object> w(int version, int weight) {
    return Map.of("version", version, "weight", weight);
  }

  private static MutableHttpRequest<String> jsonRequest(String method, String uri, String text) {
    return HttpRequest.<String>create(HttpMethod.valueOf(method), uri)
        .body(text)
        .contentType(MediaType.APPLICATION_JSON_TYPE);
  }

  /** 60 KiB that don't compress, then zeros: under the ratio, over max-uncompressed-bytes (4 MiB). */
  private static byte[] bombPastUncompressedLimit() {
    Map<String, byte[]> entries = new LinkedHashMap<>();
    entries.put("noise.bin", Zips.randomBytes(60 << 10));
    entries.put("zeros.bin", new byte[(4 << 20) + 1]);
    return Zips.of(entries);
  }
}

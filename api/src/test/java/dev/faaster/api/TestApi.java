package dev.faaster.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.faaster.api.functions.CodeView;
import dev.faaster.api.functions.FunctionView;
import dev.faaster.api.tenants.TenantView;
import dev.faaster.api.tenants.TokenView;
import dev.faaster.api.versions.DeploymentView;
import io.micronaut.core.type.Argument;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.MediaType;
import io.micronaut.http.MutableHttpRequest;
import io.micronaut.http.client.HttpClient;
import io.micronaut.http.client.exceptions.HttpClientResponseException;
import io.micronaut.json.JsonMapper;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/** The API as a client sees it: requests over real HTTP, answers as {@link Reply}s, never exceptions. */
final class TestApi {

  /** faaster.auth.admin-token in application-test.yml. */
  static final String ADMIN_TOKEN = "test-admin-token";

  static final String ZIP = "application/zip";

  /** A tenant and a token acting for it. */
  record TenantAccess(String id, String name, String token) {}

  private final HttpClient client;
  private final JsonMapper json;

  TestApi(HttpClient client, JsonMapper json) {
    this.client = client;
    this.json = json;
  }

  Reply send(MutableHttpRequest<?> request) {
    try {
      HttpResponse<byte[]> response =
          client.toBlocking().exchange(request, Argument.of(byte[].class), Argument.of(byte[].class));
      return reply(response);
    } catch (HttpClientResponseException e) {
      return reply(e.getResponse());
    }
  }

  private Reply reply(HttpResponse<?> response) {
    byte[] body = response.getBody(Argument.of(byte[].class)).orElse(new byte[0]);
    return new Reply(response.code(), response.getHeaders(), body, json);
  }

  Reply send(String token, MutableHttpRequest<?> request) {
    return send(token == null ? request : request.bearerAuth(token));
  }

  Reply get(String token, String uri) {
    return send(token, HttpRequest.GET(uri));
  }

  Reply delete(String token, String uri) {
    return send(token, HttpRequest.DELETE(uri));
  }

  Reply post(String token, String uri, Object body) {
    return send(token, HttpRequest.POST(uri, body).contentType(MediaType.APPLICATION_JSON_TYPE));
  }

  Reply put(String token, String uri, Object body) {
    return send(token, HttpRequest.PUT(uri, body).contentType(MediaType.APPLICATION_JSON_TYPE));
  }

  Reply patch(String token, String uri, Object body) {
    return send(token, HttpRequest.PATCH(uri, body).contentType(MediaType.APPLICATION_JSON_TYPE));
  }

  /** Invokes {@code function} (through {@code qualifier} if not null) with {@code event} as a JSON body. */
  Reply invoke(String token, String function, String qualifier, String event) {
    String uri =
        "/v1/functions/" + function + "/invocations"
            + (qualifier == null ? "" : "?qualifier=" + URLEncoder.encode(qualifier, StandardCharsets.UTF_8));
    return send(token, HttpRequest.POST(uri, event).contentType(MediaType.APPLICATION_JSON_TYPE));
  }

  Reply upload(String token, String function, byte[] zip) {
    return send(token, HttpRequest.PUT("/v1/functions/" + function + "/code", zip).contentType(ZIP));
  }

  // --- steps every test needs; each asserts its own success so a broken fixture fails loudly ---

  /** A new tenant with a unique name starting with {@code prefix}, and a token for it. */
  TenantAccess newTenant(String prefix) {
    String name = prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    Reply created = post(ADMIN_TOKEN, "/v1/tenants", Map.of("name", name));
    assertThat(created.status()).as("create tenant: %s", created).isEqualTo(201);
    TenantView tenant = created.as(TenantView.class);
    Reply token = post(ADMIN_TOKEN, "/v1/tenants/" + tenant.id() + "/tokens", Map.of("description", "test"));
    assertThat(token.status()).as("create token: %s", token).isEqualTo(201);
    return new TenantAccess(tenant.id(), name, token.as(TokenView.class).token());
  }

  FunctionView createFunction(String token, String name) {
    return createFunction(token, functionBody(name));
  }

  FunctionView createFunction(String token, Map<String, Object> body) {
    Reply created = post(token, "/v1/functions", body);
    assertThat(created.status()).as("create function: %s", created).isEqualTo(201);
    return created.as(FunctionView.class);
  }

  /** The body of a minimal valid function ("provided" runtime); callers may add or change fields. */
  static Map<String, Object> functionBody(String name) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("name", name);
    body.put("runtime", "provided");
    return body;
  }

  CodeView uploadCode(String token, String function, byte[] zip) {
    Reply uploaded = upload(token, function, zip);
    assertThat(uploaded.status()).as("upload code: %s", uploaded).isEqualTo(200);
    return uploaded.as(CodeView.class);
  }

  /** Publishes $LATEST; expects the 202 of a started (or already started) deploy. */
  DeploymentView publish(String token, String function) {
    Reply published = post(token, "/v1/functions/" + function + "/versions", Map.of());
    assertThat(published.status()).as("publish: %s", published).isEqualTo(202);
    return published.as(DeploymentView.class);
  }
}

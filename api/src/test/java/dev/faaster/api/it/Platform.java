package dev.faaster.api.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.faaster.api.tenants.CreateTenantCommand;
import dev.faaster.api.tenants.CreateTokenCommand;
import dev.faaster.api.tenants.TenantView;
import dev.faaster.api.tenants.TokenView;
import dev.faaster.packagestore.ObjectStoreEndpoint;
import dev.faaster.packagestore.PackageStore;
import io.micronaut.context.ApplicationContext;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.core.type.Argument;
import io.micronaut.json.JsonMapper;
import io.micronaut.runtime.server.EmbeddedServer;
import io.temporal.client.WorkflowClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The faaster process started inside the test JVM, configured the way an operator would (only
 * through its property keys), against a real Temporal, with its own H2 file database and embedded
 * S3 store under {@code target/it/<test class>-<run id>/}. The database is opened with
 * AUTO_SERVER=TRUE so a worker in another JVM can share it; the S3 store and the API bind free ports.
 *
 * <p>Its HTTP helpers return raw responses: the tests assert status codes themselves.
 */
final class Platform implements AutoCloseable {

  static final String ACCESS_KEY = "faaster-it";
  static final String SECRET_KEY = "faaster-it-secret";
  static final String BUCKET = "faaster-it-code";
  static final String REGION = "us-east-1";
  static final String NAMESPACE = "default";
  /** Where published packages live (dev.faaster.packagestore.PackageKeys#contentAddressed). */
  static final String PACKAGES = "packages/sha256/";
  static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(90);

  private final String runId;
  private final Path root;
  private final String databaseUrl;
  private final String adminToken;
  private final String temporalAddress;
  private final ApplicationContext context;
  private final EmbeddedServer server;
  private final JsonMapper json;
  private final HttpClient http =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();

  private Platform(
      String runId, Path root, String databaseUrl, String adminToken, String temporalAddress, ApplicationContext context, EmbeddedServer server) {
    this.runId = runId;
    this.root = root;
    this.databaseUrl = databaseUrl;
    this.adminToken = adminToken;
    this.temporalAddress = temporalAddress;
    this.context = context;
    this.server = server;
    this.json = context.getBean(JsonMapper.class);
  }

  /**
   * Starts the platform with {@code faaster.roles = roles}; returns once it serves HTTP.
   *
   * @param roles "api,worker" (everything in this JVM) or "api" (a worker runs elsewhere)
   */
  static Platform start(Class<?> testClass, String roles) {
    return start(testClass, roles, Map.of());
  }

  /** As {@link #start(Class, String)}, with {@code extra} properties on top (e.g. the node's). */
  static Platform start(Class<?> testClass, String roles, Map<String, Object> extra) {
    String runId = UUID.randomUUID().toString().substring(0, 8);
    Path root = itDirectory().resolve(testClass.getSimpleName() + "-" + runId);
    String databaseUrl =
        "jdbc:h2:file:" + root.resolve("h2/faaster") + ";MODE=MySQL;DATABASE_TO_LOWER=TRUE;AUTO_SERVER=TRUE";
    String adminToken = "it-admin-" + UUID.randomUUID();
    String temporalAddress = StackRequired.temporalAddress();

    Map<String, Object> properties = new HashMap<>();
    properties.put("faaster.roles", roles);
    properties.put("micronaut.server.host", "127.0.0.1");
    properties.put("micronaut.server.port", -1);
    properties.put("datasources.default.url", databaseUrl);
    properties.put("datasources.default.username", "sa");
    properties.put("datasources.default.password", "");
    properties.put("datasources.default.driver-class-name", "org.h2.Driver");
    properties.put("datasources.default.dialect", "H2");
    properties.put("faaster.data-dir", root.resolve("data").toString());
    properties.put("faaster.temporal.address", temporalAddress);
    properties.put("faaster.temporal.namespace", NAMESPACE);
    properties.put("faaster.object-store.endpoint", "");
    properties.put("faaster.object-store.region", REGION);
    properties.put("faaster.object-store.bucket", BUCKET);
    properties.put("faaster.object-store.access-key", ACCESS_KEY);
    properties.put("faaster.object-store.secret-key", SECRET_KEY);
    properties.put("faaster.object-store.embedded.host", "127.0.0.1");
    properties.put("faaster.object-store.embedded.port", 0);
    properties.put("faaster.object-store.embedded.directory", root.resolve("s3").toString());
    properties.put("faaster.auth.admin-token", adminToken);
    properties.put("faaster.auth.admin-token-file", root.resolve("data/admin-token").toString());
    properties.put("faaster.fault-injection.delay-before-record-version", "0s");

    properties.putAll(extra);

    // No "test" environment: application-test.yml belongs to the unit tests, not to this stack.
    ApplicationContext context =
        ApplicationContext.builder().deduceEnvironment(false).environments("it").properties(properties).start();
    try {
      EmbeddedServer server = context.getBean(EmbeddedServer.class).start();
      return new Platform(runId, root, databaseUrl, adminToken, temporalAddress, context, server);
    } catch (RuntimeException e) {
      context.close();
      throw e;
    }
  }

  /** target/it of the api module, whichever directory the JVM was started in. */
  private static Path itDirectory() {
    String basedir = System.getProperty("basedir");
    Path module = basedir != null ? Path.of(basedir) : Path.of("").toAbsolutePath();
    return module.resolve("target").resolve("it").toAbsolutePath();
  }

  /** Creates a tenant named {@code prefix-<run id>} and a token for it, through the admin API. */
  TestTenant createTenant(String prefix) {
    String name = prefix + "-" + runId;
    HttpResponse<byte[]> created = post("/v1/tenants", adminToken, new CreateTenantCommand(name));
    assertThat(created.statusCode()).as("create tenant: %s", show(created)).isEqualTo(201);
    TenantView tenant = read(created, TenantView.class);
    HttpResponse<byte[]> issued =
        post("/v1/tenants/" + tenant.id() + "/tokens", adminToken, new CreateTokenCommand("integration test"));
    assertThat(issued.statusCode()).as("create token: %s", show(issued)).isEqualTo(201);
    return new TestTenant(tenant.id(), tenant.name(), read(issued, TokenView.class).token());
  }

  HttpResponse<byte[]> get(String path, String token) {
    return send("GET", path, token, null, null);
  }

  /** POSTs {@code body} as JSON; a null body sends none. */
  HttpResponse<byte[]> post(String path, String token, @Nullable Object body) {
    return send("POST", path, token, body == null ? null : "application/json", body == null ? null : write(body));
  }

  HttpResponse<byte[]> put(String path, String token, String contentType, byte[] body) {
    return send("PUT", path, token, contentType, body);
  }

  HttpResponse<byte[]> send(String method, String path, String token, @Nullable String contentType, @Nullable byte[] body) {
    return send(method, path, token, contentType, body, Map.of());
  }

  /** With {@code headers} on top of the token and content type. */
  HttpResponse<byte[]> send(
      String method, String path, String token, @Nullable String contentType, @Nullable byte[] body,
      Map<String, String> headers) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(uri(path))
            .timeout(REQUEST_TIMEOUT)
            .header("Authorization", "Bearer " + token)
            .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
    if (contentType != null) {
      request.header("Content-Type", contentType);
    }
    headers.forEach(request::header);
    try {
      return http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    } catch (IOException e) {
      throw new UncheckedIOException(method + " " + path + " failed: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted during " + method + " " + path, e);
    }
  }

  <T> T read(HttpResponse<byte[]> response, Class<T> type) {
    return read(response, Argument.of(type));
  }

  <T> T read(HttpResponse<byte[]> response, Argument<T> type) {
    try {
      return json.readValue(response.body(), type);
    } catch (IOException e) {
      throw new AssertionError("cannot read " + type + " from " + show(response), e);
    }
  }

  private byte[] write(Object body) {
    try {
      return json.writeValueAsBytes(body);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** "POST /v1/... -> 422 {body}", for assertion messages. */
  static String show(HttpResponse<byte[]> response) {
    String body = new String(response.body(), StandardCharsets.UTF_8);
    if (body.length() > 2000) {
      body = body.substring(0, 2000) + "...";
    }
    return response.request().method() + " " + response.uri().getPath() + " -> " + response.statusCode() + " " + body;
  }

  URI uri(String path) {
    return server.getURI().resolve(path);
  }

  /** The keys under packages/sha256/ right now. */
  List<String> publishedPackages() {
    return store().list(PACKAGES);
  }

  <T> T bean(Class<T> type) {
    return context.getBean(type);
  }

  WorkflowClient workflowClient() {
    return bean(WorkflowClient.class);
  }

  PackageStore store() {
    return bean(PackageStore.class);
  }

  /** The S3 endpoint this process serves (its embedded store): other processes point at it. */
  URI objectStoreEndpoint() {
    return bean(ObjectStoreEndpoint.class).uri();
  }

  String databaseUrl() {
    return databaseUrl;
  }

  String temporalAddress() {
    return temporalAddress;
  }

  /** This run's directory under target/it: database, object store, logs of child processes. */
  Path root() {
    return root;
  }

  @Override
  public void close() {
    try {
      if (server.isRunning()) {
        server.stop();
      }
    } finally {
      if (context.isRunning()) {
        context.close();
      }
    }
  }
}

package dev.faaster.bench;

import dev.faaster.api.Application;
import io.micronaut.context.ApplicationContext;
import io.micronaut.runtime.Micronaut;
import io.micronaut.runtime.server.EmbeddedServer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The whole platform (api + worker + embedded S3, H2 in memory) in this JVM, against the Temporal
 * named by {@code FAASTER_BENCH_TEMPORAL_ADDRESS}, driven through its real HTTP API.
 */
public final class PlatformUnderTest implements AutoCloseable {

  private final ApplicationContext context;
  private final URI base;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final String adminToken = "fst_bench_admin_" + UUID.randomUUID();

  public PlatformUnderTest(Path dataDir, String temporalAddress) {
    this(dataDir, temporalAddress, "api,worker", Map.of());
  }

  /** With {@code roles} and {@code extra} properties on top of the defaults (e.g. a node's). */
  public PlatformUnderTest(Path dataDir, String temporalAddress, String roles, Map<String, Object> extra) {
    Map<String, Object> properties = new HashMap<>();
    properties.put("micronaut.server.port", -1);
    properties.put("faaster.roles", roles);
    properties.put("faaster.data-dir", dataDir.toString());
    properties.put("datasources.default.url", "jdbc:h2:mem:bench-" + UUID.randomUUID() + ";MODE=MySQL;DATABASE_TO_LOWER=TRUE;DB_CLOSE_DELAY=-1");
    properties.put("faaster.object-store.endpoint", "");
    properties.put("faaster.object-store.embedded.port", 0);
    properties.put("faaster.object-store.embedded.directory", dataDir.resolve("s3").toString());
    properties.put("faaster.temporal.address", temporalAddress);
    properties.put("faaster.auth.admin-token", adminToken);
    properties.put("faaster.auth.admin-token-file", dataDir.resolve("admin-token").toString());
    properties.putAll(extra);
    // The zone cache is a process of its own in production; its beans must not start in this one.
    ClassLoader platformOnly = new ModuleHidingClassLoader(PlatformUnderTest.class.getClassLoader(),
        List.of("dev.faaster.zonecache.store.PackageCache"));
    this.context = Micronaut.build(new String[0]).classLoader(platformOnly).mainClass(Application.class)
        .properties(properties).banner(false).start();
    this.base = context.getBean(EmbeddedServer.class).getURI();
  }

  public ApplicationContext context() {
    return context;
  }

  /** The API's base URI (http://127.0.0.1:PORT/). */
  public URI base() {
    return base;
  }

  public String adminToken() {
    return adminToken;
  }

  public HttpResponse<String> send(String method, String path, String token, String contentType, byte[] body)
      throws IOException, InterruptedException {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(base.resolve(path))
            .timeout(Duration.ofSeconds(120))
            .header("Authorization", "Bearer " + token)
            .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
    if (contentType != null) {
      request.header("Content-Type", contentType);
    }
    HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() >= 400) {
      throw new IllegalStateException(method + " " + path + " answered " + response.statusCode() + ": " + response.body());
    }
    return response;
  }

  /** As {@link #send}, but returns error answers instead of throwing. */
  public HttpResponse<String> exchange(String method, String path, String token, String contentType, byte[] body)
      throws IOException, InterruptedException {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(base.resolve(path))
            .timeout(Duration.ofSeconds(180))
            .header("Authorization", "Bearer " + token)
            .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
    if (contentType != null) {
      request.header("Content-Type", contentType);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Override
  public void close() {
    context.close();
  }
}

package dev.faaster.activities.code;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The deploy's warm-up call against a stand-in zone cache speaking its contract. */
class ZoneCacheWarmerTest {

  private HttpServer server;
  private final AtomicReference<String> seen = new AtomicReference<>();
  private volatile int status = 204;

  @BeforeEach
  void start() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/v1/packages/", exchange -> {
      seen.set(exchange.getRequestMethod() + " " + exchange.getRequestURI().getPath() + " "
          + exchange.getRequestHeaders().getFirst("Authorization") + " " + exchange.getRequestHeaders().getFirst("X-Faaster-Tenant")
          + " " + new String(exchange.getRequestBody().readAllBytes()));
      exchange.sendResponseHeaders(status, -1);
      exchange.close();
    });
    server.start();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  private String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  @Test
  void warmsByDigestForTheTenantWithTheNodeToken() throws Exception {
    String sha = "a".repeat(64);
    assertThat(new ZoneCacheWarmer(url(), "node-secret").warm("tenant-1", sha)).isTrue();
    assertThat(seen.get())
        .isEqualTo("POST /v1/packages/" + sha + "/warm Bearer node-secret tenant-1 {\"tenantId\":\"tenant-1\"}");
  }

  @Test
  void withoutAZoneCacheThereIsNothingToWarm() throws Exception {
    ZoneCacheWarmer warmer = new ZoneCacheWarmer("", "");
    assertThat(warmer.configured()).isFalse();
    assertThat(warmer.warm("tenant-1", "b".repeat(64))).isFalse();
  }

  @Test
  void aRefusalIsAnErrorCarryingTheAnswer() {
    status = 403;
    assertThatThrownBy(() -> new ZoneCacheWarmer(url(), "node-secret").warm("tenant-2", "c".repeat(64)))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("403");
  }
}

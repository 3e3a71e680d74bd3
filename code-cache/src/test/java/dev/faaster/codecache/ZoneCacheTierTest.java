package dev.faaster.codecache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The L2 client against a stand-in L2 over real HTTP (the JDK's server), speaking the contract in
 * {@link ZoneCacheTier}'s Javadoc.
 */
class ZoneCacheTierTest {

  private static final String TOKEN = "node-token-1";

  private HttpServer server;
  private final Map<String, byte[]> held = new ConcurrentHashMap<>();
  private final Map<String, String> owners = new ConcurrentHashMap<>();
  private final List<Map<String, String>> requests = new CopyOnWriteArrayList<>();
  /** Bytes of a 200 body after which the stand-in drops the connection (once). */
  private final AtomicInteger cutAfter = new AtomicInteger(-1);
  /** Bytes of a 200 body after which the stand-in stops sending, without closing (once). */
  private final AtomicInteger stallAfter = new AtomicInteger(-1);
  private final CountDownLatch stalled = new CountDownLatch(1);
  private ExecutorService handlers;

  @BeforeEach
  void startStandIn() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/v1/packages/", this::serve);
    // A stalled response must not hold up the next request.
    handlers = Executors.newCachedThreadPool();
    server.setExecutor(handlers);
    server.start();
  }

  @AfterEach
  void stopStandIn() {
    stalled.countDown();
    server.stop(0);
    handlers.shutdownNow();
  }

  @Test
  void sendsTheNodeTokenAndTheTenantAndReturnsTheBytes() throws IOException {
    TestPackage p = hold("tenant-a", TestPackage.random(10_000));

    byte[] read = readAll(tier().open("tenant-a", p.sha256()));

    assertThat(read).isEqualTo(p.bytes());
    assertThat(requests).singleElement().satisfies(request -> {
      assertThat(request).containsEntry("path", "/v1/packages/" + p.sha256());
      assertThat(request).containsEntry("authorization", "Bearer " + TOKEN);
      assertThat(request).containsEntry("tenant", "tenant-a");
    });
  }

  @Test
  void packageTheZoneCacheCannotGetIsEmpty() throws IOException {
    assertThat(tier().open("tenant-a", TestPackage.random(10).sha256())).isEmpty();
  }

  @Test
  void tenantThatDoesNotOwnTheDigestIsRefused() {
    TestPackage p = hold("tenant-a", TestPackage.random(100));

    assertThatThrownBy(() -> tier().open("tenant-b", p.sha256()))
        .isInstanceOf(CodeAccessDeniedException.class)
        .hasMessageContaining("tenant-b");
  }

  @Test
  void wrongNodeTokenIsAFailureNotADenial() {
    TestPackage p = hold("tenant-a", TestPackage.random(100));
    ZoneCacheTier wrongToken = new ZoneCacheTier(baseUrl(), "stolen", Duration.ofSeconds(1), Duration.ofSeconds(5));

    assertThatThrownBy(() -> wrongToken.open("tenant-a", p.sha256()))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("HTTP 401");
  }

  @Test
  void bodyCutOffMidwayIsResumedWithARangeRequest() throws IOException {
    TestPackage p = hold("tenant-a", TestPackage.random(200_000));
    cutAfter.set(70_000);

    byte[] read = readAll(tier().open("tenant-a", p.sha256()));

    assertThat(read).isEqualTo(p.bytes());
    assertThat(requests).hasSize(2);
    assertThat(requests.get(1)).containsEntry("range", "bytes=70000-").containsEntry("tenant", "tenant-a");
  }

  @Test
  void bodyThatStallsLongerThanTheRequestTimeoutIsResumedWithARangeRequest() throws IOException {
    TestPackage p = hold("tenant-a", TestPackage.random(200_000));
    stallAfter.set(50_000);
    // Long enough that a slow response head is not mistaken for the stall (the stand-in stalls until teardown).
    ZoneCacheTier tier = new ZoneCacheTier(baseUrl(), TOKEN, Duration.ofSeconds(1), Duration.ofSeconds(2));

    byte[] read = readAll(tier.open("tenant-a", p.sha256()));

    assertThat(read).isEqualTo(p.bytes());
    assertThat(requests).hasSize(2);
    assertThat(requests.get(1)).containsEntry("range", "bytes=50000-");
  }

  @Test
  void serverErrorIsAFailureNotAMiss() {
    TestPackage p = hold("tenant-a", TestPackage.random(100));
    server.removeContext("/v1/packages/");
    server.createContext("/v1/packages/", exchange -> {
      try (exchange) {
        byte[] body = "{\"error\":{\"code\":\"ORIGIN_UNAVAILABLE\"}}".getBytes();
        exchange.sendResponseHeaders(503, body.length);
        exchange.getResponseBody().write(body);
      }
    });

    assertThatThrownBy(() -> tier().open("tenant-a", p.sha256()))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("HTTP 503");
  }

  @Test
  void deadZoneCacheFailsFastWithAnIOException() throws IOException {
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    ZoneCacheTier dead =
        new ZoneCacheTier(URI.create("http://127.0.0.1:" + port), TOKEN, Duration.ofSeconds(1), Duration.ofSeconds(5));

    long started = System.nanoTime();
    assertThatThrownBy(() -> dead.open("tenant-a", TestPackage.random(10).sha256())).isInstanceOf(IOException.class);
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
  }

  private ZoneCacheTier tier() {
    return new ZoneCacheTier(baseUrl(), TOKEN, Duration.ofSeconds(1), Duration.ofSeconds(5));
  }

  private URI baseUrl() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/");
  }

  private TestPackage hold(String tenant, TestPackage p) {
    held.put(p.sha256(), p.bytes());
    owners.put(p.sha256(), tenant);
    return p;
  }

  private static byte[] readAll(Optional<InputStream> opened) throws IOException {
    try (InputStream in = opened.orElseThrow()) {
      return in.readAllBytes();
    }
  }

  /** The stand-in L2: token, ownership, 404, ranges, and a one-time cut connection. */
  private void serve(HttpExchange exchange) throws IOException {
    try (exchange) {
      String digest = exchange.getRequestURI().getPath().substring("/v1/packages/".length());
      String tenant = exchange.getRequestHeaders().getFirst(ZoneCacheTier.TENANT_HEADER);
      String authorization = exchange.getRequestHeaders().getFirst("Authorization");
      String range = exchange.getRequestHeaders().getFirst("Range");
      requests.add(Map.of(
          "path", exchange.getRequestURI().getPath(),
          "tenant", String.valueOf(tenant),
          "authorization", String.valueOf(authorization),
          "range", String.valueOf(range)));
      if (!("Bearer " + TOKEN).equals(authorization)) {
        exchange.sendResponseHeaders(401, -1);
        return;
      }
      byte[] bytes = held.get(digest);
      if (bytes == null) {
        exchange.sendResponseHeaders(404, -1);
        return;
      }
      if (!owners.get(digest).equals(tenant)) {
        exchange.sendResponseHeaders(403, -1);
        return;
      }
      int from = 0;
      if (range != null) {
        from = Integer.parseInt(range.substring("bytes=".length(), range.length() - 1));
        exchange.getResponseHeaders().add("Content-Range", "bytes " + from + "-" + (bytes.length - 1) + "/" + bytes.length);
        exchange.sendResponseHeaders(206, bytes.length - from);
      } else {
        exchange.sendResponseHeaders(200, bytes.length);
      }
      OutputStream body = exchange.getResponseBody();
      int stall = range == null ? stallAfter.getAndSet(-1) : -1;
      if (stall >= 0) {
        body.write(bytes, from, stall);
        body.flush();
        // Nothing more until the test ends: only the client's read timeout gets it going again.
        try {
          stalled.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        return;
      }
      int cut = cutAfter.getAndSet(-1);
      if (cut >= 0) {
        body.write(bytes, from, cut);
        body.flush();
        // Closing short of the declared length drops the connection.
        return;
      }
      body.write(bytes, from, bytes.length - from);
    }
  }
}

package dev.faaster.api.invoke;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micronaut.json.JsonMapper;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The API side of the nodes' data plane, against an HTTP server playing a node. */
class NodeDataPlaneClientTest {

  static final String TOKEN = "plane-secret";
  static final Duration TIMEOUT = Duration.ofSeconds(2);

  HttpServer node;
  final List<Map<String, String>> requests = new CopyOnWriteArrayList<>();
  volatile Consumer<HttpExchange> answer;
  final MapAddresses addresses = new MapAddresses();

  static final class MapAddresses implements DataPlaneAddresses {
    final Map<String, String> urls = new ConcurrentHashMap<>();
    final List<String> forgotten = new ArrayList<>();

    @Override
    public Optional<String> of(String nodeId) {
      return Optional.ofNullable(urls.get(nodeId));
    }

    @Override
    public synchronized void forget(String nodeId) {
      forgotten.add(nodeId);
    }
  }

  @BeforeEach
  void startNode() throws IOException {
    node = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    node.createContext("/", exchange -> {
      byte[] body = exchange.getRequestBody().readAllBytes();
      requests.add(Map.of(
          "path", exchange.getRequestURI().getPath(),
          "authorization", String.valueOf(exchange.getRequestHeaders().getFirst("Authorization")),
          "timeout", String.valueOf(exchange.getRequestHeaders().getFirst(NodeDataPlaneHeaders.TIMEOUT_MS)),
          "invocation", String.valueOf(exchange.getRequestHeaders().getFirst(NodeDataPlaneHeaders.INVOCATION_ID)),
          "body", new String(body, StandardCharsets.UTF_8)));
      answer.accept(exchange);
    });
    node.start();
    addresses.urls.put("node-b", "http://127.0.0.1:" + node.getAddress().getPort());
  }

  @AfterEach
  void stopNode() {
    node.stop(0);
  }

  NodeDataPlaneClient client(String token) {
    InvocationSettings invocation =
        new InvocationSettings(1, 100, 1000, Duration.ofMinutes(10), Duration.ofSeconds(30), 6291456, true, true,
            Duration.ofSeconds(10), Duration.ofMillis(300), Duration.ofSeconds(5));
    return new NodeDataPlaneClient(addresses, new NodeDataPlaneSettings(null, token, Duration.ofSeconds(1)), invocation,
        JsonMapper.createDefault());
  }

  /** As node-b answers: naming itself. */
  static void reply(HttpExchange exchange, int status, Map<String, String> headers, String body) {
    exchange.getResponseHeaders().add(NodeDataPlaneHeaders.NODE_ID, "node-b");
    replyAs(exchange, status, headers, body);
  }

  static void replyAs(HttpExchange exchange, int status, Map<String, String> headers, String body) {
    try {
      headers.forEach((k, v) -> exchange.getResponseHeaders().add(k, v));
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
      if (bytes.length > 0) {
        exchange.getResponseBody().write(bytes);
      }
      exchange.close();
    } catch (IOException e) {
      throw new RuntimeException(e);
    }
  }

  @Test
  void anInvocationGoesToTheNodesInstanceWithTheTokenTimeoutAndIdAndTheResponseComesBack() {
    answer = e -> reply(e, 200, Map.of(NodeDataPlaneHeaders.OUTCOME, "OK", NodeDataPlaneHeaders.DURATION_MS, "12.5"), "{\"ok\":1}");

    InvocationOutcome outcome = client(TOKEN).invoke("node-b", "i-7", "{\"n\":1}".getBytes(StandardCharsets.UTF_8), TIMEOUT, "inv-1");

    assertThat(outcome.status()).isEqualTo(InvocationOutcome.Status.OK);
    assertThat(new String(outcome.payload(), StandardCharsets.UTF_8)).isEqualTo("{\"ok\":1}");
    assertThat(outcome.durationMs()).isEqualTo(12.5);
    assertThat(requests).singleElement().satisfies(r -> {
      assertThat(r).containsEntry("path", "/node/v1/instances/i-7/invocations")
          .containsEntry("authorization", "Bearer " + TOKEN)
          .containsEntry("timeout", "2000")
          .containsEntry("invocation", "inv-1")
          .containsEntry("body", "{\"n\":1}");
    });
  }

  @Test
  void aFunctionErrorOnTheNodeIsTheSameFunctionErrorHere() {
    answer = e -> reply(e, 200, Map.of(NodeDataPlaneHeaders.OUTCOME, "FUNCTION_ERROR", NodeDataPlaneHeaders.DURATION_MS, "3"),
        "{\"errorType\":\"ValueError\",\"errorMessage\":\"bad\",\"trace\":\"line 1\"}");

    InvocationOutcome outcome = client(TOKEN).invoke("node-b", "i-7", new byte[0], TIMEOUT, "inv-2");

    assertThat(outcome.status()).isEqualTo(InvocationOutcome.Status.FUNCTION_ERROR);
    assertThat(outcome.errorType()).isEqualTo("ValueError");
    assertThat(outcome.errorMessage()).isEqualTo("bad");
    assertThat(outcome.trace()).isEqualTo("line 1");
  }

  @Test
  void anInstanceTheRightNodeDoesNotHaveIsACrashedInstance() {
    answer = e -> reply(e, 404, Map.of(), "Instance i-9 is not running on node node-b.");

    InvocationOutcome outcome = client(TOKEN).invoke("node-b", "i-9", new byte[0], TIMEOUT, "inv-3");

    assertThat(outcome.status()).isEqualTo(InvocationOutcome.Status.CRASHED);
    assertThat(outcome.errorMessage()).contains("node-b");
    assertThat(addresses.forgotten).isEmpty();
  }

  @Test
  void anotherNodeAtAStaleAddressIsUnreachableNotACrashAndTheAddressIsForgotten() {
    answer = e -> {
      e.getResponseHeaders().add(NodeDataPlaneHeaders.NODE_ID, "node-c");
      replyAs(e, 404, Map.of(), "Instance i-7 is not running on node node-c.");
    };

    InvocationOutcome outcome = client(TOKEN).invoke("node-b", "i-7", new byte[0], TIMEOUT, "inv-8");

    assertThat(outcome.status()).isEqualTo(InvocationOutcome.Status.UNREACHABLE);
    assertThat(outcome.errorMessage()).contains("node-c");
    assertThat(addresses.forgotten).containsExactly("node-b");
  }

  @Test
  void aRefusalByTheNodeIsTheNodesConfigurationNotTheInstance() {
    answer = e -> reply(e, 401, Map.of(), "The data plane token is missing or wrong.");
    InvocationOutcome wrongToken = client(TOKEN).invoke("node-b", "i-7", new byte[0], TIMEOUT, "inv-9");
    answer = e -> reply(e, 503, Map.of(), "The data plane of node node-b is off.");
    InvocationOutcome planeOff = client(TOKEN).invoke("node-b", "i-7", new byte[0], TIMEOUT, "inv-10");

    assertThat(wrongToken.status()).isEqualTo(InvocationOutcome.Status.UNREACHABLE);
    assertThat(wrongToken.errorMessage()).contains("401");
    assertThat(planeOff.status()).isEqualTo(InvocationOutcome.Status.UNREACHABLE);
    assertThat(planeOff.errorMessage()).contains("503");
  }

  @Test
  void aNodeThatIsGoneIsUnreachableAndItsAddressIsForgotten() {
    node.stop(0);

    InvocationOutcome outcome = client(TOKEN).invoke("node-b", "i-7", new byte[0], TIMEOUT, "inv-4");

    assertThat(outcome.status()).isEqualTo(InvocationOutcome.Status.UNREACHABLE);
    assertThat(outcome.errorMessage()).contains("node-b");
    assertThat(addresses.forgotten).containsExactly("node-b");
  }

  @Test
  void aNodeThatDoesNotAnswerWithinTheTimeoutAndGraceIsATimeout() {
    answer = e -> {
      try {
        Thread.sleep(TIMEOUT.toMillis() + 2_000);
      } catch (InterruptedException ignored) {
        Thread.currentThread().interrupt();
      }
      reply(e, 200, Map.of(NodeDataPlaneHeaders.OUTCOME, "OK"), "late");
    };

    InvocationOutcome outcome = client(TOKEN).invoke("node-b", "i-7", new byte[0], TIMEOUT, "inv-5");

    assertThat(outcome.status()).isEqualTo(InvocationOutcome.Status.TIMEOUT);
  }

  @Test
  void withoutATokenOrAnAddressNothingIsSentAndTheMessageSaysWhy() {
    InvocationOutcome noToken = client("").invoke("node-b", "i-7", new byte[0], TIMEOUT, "inv-6");
    InvocationOutcome noAddress = client(TOKEN).invoke("node-unknown", "i-7", new byte[0], TIMEOUT, "inv-7");

    assertThat(noToken.status()).isEqualTo(InvocationOutcome.Status.UNREACHABLE);
    assertThat(noToken.errorMessage()).contains("faaster.node.data-plane.token");
    assertThat(noAddress.status()).isEqualTo(InvocationOutcome.Status.UNREACHABLE);
    assertThat(noAddress.errorMessage()).contains("node-unknown").contains("published");
    assertThat(requests).isEmpty();
  }
}

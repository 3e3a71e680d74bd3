package dev.faaster.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentClientTest {

  static final Duration T = Duration.ofSeconds(5);

  @TempDir Path dir;
  FakeAgent agent;
  AgentClient client;

  @BeforeEach
  void setUp() throws Exception {
    agent = new FakeAgent(dir.resolve("a.agent"));
    client = AgentClient.connect(agent.socket, T);
  }

  @AfterEach
  void tearDown() throws Exception {
    client.close();
    agent.close();
  }

  static byte[] bytes(ByteBuffer b) {
    byte[] a = new byte[b.remaining()];
    b.duplicate().get(a);
    return a;
  }

  @Test
  void headerLayoutMatchesTheGoAgent() {
    // PING id 1, empty payload: the same bytes guest/protocol's TestHeaderLayoutIsFixed pins.
    assertThat(HexFormat.of().formatHex(bytes(new AgentFrame(AgentFrame.PING, 1, null, null).encode())))
        .isEqualTo("46414147" + "01" + "02" + "0000" + "0000000000000001" + "00000000" + "37611cb0");
  }

  @Test
  void payloadIsMetaLengthMetaBody() {
    byte[] b = bytes(new AgentFrame(AgentFrame.INVOKE, 2, "{}".getBytes(), "ev".getBytes()).encode());
    assertThat(ByteBuffer.wrap(b).getInt(16)).isEqualTo(8);
    assertThat(java.util.Arrays.copyOfRange(b, 24, b.length)).containsExactly(0, 0, 0, 2, '{', '}', 'e', 'v');
  }

  @Test
  void oversizedFramesAreRefusedBeforeSending() {
    assertThatThrownBy(() -> new AgentFrame(AgentFrame.INVOKE, 1, null, new byte[AgentFrame.MAX_BODY + 1]).encode())
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new AgentFrame(AgentFrame.INVOKE, 1, new byte[AgentFrame.MAX_META + 1], null).encode())
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void readyReturnsTheAnnouncedStatus() {
    AgentMessages.Status st = client.awaitReady(T);
    assertThat(st.protocol()).isEqualTo(1);
    assertThat(st.runtime()).isEqualTo("provided");
    assertThat(st.runtimeReady()).isTrue();
  }

  @Test
  void readyIsAnsweredWhenTheAgentDoesNotAnnounce() throws Exception {
    client.close();
    agent.announce = false;
    client = AgentClient.connect(agent.socket, T);
    assertThat(client.awaitReady(T).agent()).isEqualTo("fake");
    assertThat(agent.received).extracting(AgentFrame::type).containsExactly(AgentFrame.READY);
  }

  @Test
  void anAnnouncementAloneIsNotAnAnswer() throws Exception {
    client.close();
    agent.answerReady = false; // announces on connect, as a restored template's queued frame would
    client = AgentClient.connect(agent.socket, T);
    assertThatThrownBy(() -> client.awaitReady(Duration.ofSeconds(2))).isInstanceOf(AgentException.class)
        .hasMessageContaining("READY");
    assertThat(client.lastReady()).as("the announcement was seen").isNotNull();
    // Nothing answers the request, so only the fake's own thread tells when it has read it.
    long deadline = System.nanoTime() + T.toNanos();
    while (agent.received.isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertThat(agent.received).extracting(AgentFrame::type).containsExactly(AgentFrame.READY);
  }

  @Test
  void pingSetIdentityLoadCodeInvokeShutdown() {
    client.awaitReady(T);
    assertThat(client.ping(T).busy()).isFalse();

    byte[] entropy = new byte[64];
    AgentMessages.IdentityReply id = client.setIdentity(
        AgentMessages.IdentityRequest.of("i-1", "fn-a-1", "52:00:00:00:00:01", 1_700_000_000_000L), entropy, T);
    assertThat(id.instanceId()).isEqualTo("i-1");
    assertThat(id.entropyBytes()).isEqualTo(64);
    assertThat(id.kernelReseeded()).isTrue();

    AgentMessages.LoadCodeReply loaded = client.loadCode(new AgentMessages.LoadCodeRequest("provided", null,
        Map.of("A", "1"), null, "abc", "fn", "1", 128), new byte[] {'P', 'K', 3, 4}, T);
    assertThat(loaded.bytes()).isEqualTo(4);

    AgentMessages.InvokeResult r = client.invoke(new AgentMessages.InvokeRequest(1000, "inv-1"),
        "{\"x\":1}".getBytes(StandardCharsets.UTF_8), T);
    assertThat(r.meta().ok()).isTrue();
    assertThat(new String(r.payload(), StandardCharsets.UTF_8)).isEqualTo("{\"x\":1}");

    assertThat(client.shutdown(T).powerOff()).isFalse();
  }

  @Test
  void requestMetaUsesTheGoFieldNamesAndLeavesEmptyFieldsOut() throws Exception {
    client.setIdentity(new AgentMessages.IdentityRequest("i-2", "h", "10.0.0.2", 24, null, "52:00:00:00:00:02", "eth0", 0),
        new byte[32], T);
    client.loadCode(new AgentMessages.LoadCodeRequest("python3", "app.handler", null, null, null, null, null, 0),
        new byte[0], T);
    client.invoke(new AgentMessages.InvokeRequest(250, null), new byte[0], T);

    var identity = FakeAgent.JSON.readTree(agent.received.get(0).meta());
    assertThat(identity.fieldNames()).toIterable()
        .containsExactlyInAnyOrder("instanceId", "hostname", "ip", "prefix", "mac", "interface");
    assertThat(identity.path("interface").asText()).isEqualTo("eth0");
    var load = FakeAgent.JSON.readTree(agent.received.get(1).meta());
    assertThat(load.fieldNames()).toIterable().containsExactlyInAnyOrder("runtime", "handler");
    var invoke = FakeAgent.JSON.readTree(agent.received.get(2).meta());
    assertThat(invoke.fieldNames()).toIterable().containsExactly("timeoutMs");
  }

  @Test
  void anErrorReplyBecomesAnAgentExceptionWithTheAgentsCode() {
    agent.override = f -> f.type() == AgentFrame.INVOKE
        ? bytes(FakeAgent.frame(AgentFrame.ERROR, f.requestId(), "{\"code\":\"no_code\",\"message\":\"load code first\"}"))
        : null;
    assertThatThrownBy(() -> client.invoke(new AgentMessages.InvokeRequest(100, null), new byte[0], T))
        .isInstanceOfSatisfying(AgentException.class, e -> {
          assertThat(e.code()).isEqualTo("no_code");
          assertThat(e.getMessage()).contains("load code first");
        });
    // The connection is still usable.
    assertThat(client.ping(T).protocol()).isEqualTo(1);
  }

  @Test
  void garbageAndForeignFramesBeforeTheReplyAreSkipped() throws Exception {
    agent.override = f -> {
      if (f.type() != AgentFrame.PING) {
        return null;
      }
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      out.writeBytes("garbage FA garbage".getBytes(StandardCharsets.US_ASCII));
      // A well-formed header of an unknown type with a payload: skipped by its length.
      ByteBuffer unknown = ByteBuffer.allocate(AgentFrame.HEADER_SIZE + 5);
      AgentFrame.putHeader(unknown, 0x42, f.requestId(), 5);
      unknown.put(new byte[5]);
      out.writeBytes(unknown.array());
      // A late reply to some other request: dropped.
      out.writeBytes(bytes(FakeAgent.frame(AgentFrame.PONG, f.requestId() - 100, "{}")));
      out.writeBytes(bytes(FakeAgent.frame(AgentFrame.PONG, f.requestId(), agent.status())));
      return out.toByteArray();
    };
    assertThat(client.ping(T).agent()).isEqualTo("fake");
  }

  @Test
  void anAgentThatDoesNotAnswerTimesOutWithinTheBound() {
    agent.override = f -> f.type() == AgentFrame.PING ? new byte[0] : null;
    long t0 = System.nanoTime();
    assertThatThrownBy(() -> client.ping(Duration.ofMillis(300)))
        .isInstanceOf(AgentException.class)
        .hasMessageContaining("no PONG");
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(2));
  }

  @Test
  void aReplyArrivingInPiecesIsReassembled() {
    // 6 MiB body: many reads, the buffer grows.
    byte[] big = new byte[AgentFrame.MAX_BODY];
    java.util.Arrays.fill(big, (byte) 'x');
    AgentMessages.InvokeResult r = client.invoke(new AgentMessages.InvokeRequest(100, null), big, Duration.ofSeconds(20));
    assertThat(r.payload()).hasSize(AgentFrame.MAX_BODY);
  }

  @Test
  void anAgentThatClosesFailsTheCall() {
    agent.override = f -> {
      throw new IllegalStateException("agent crashed");
    };
    assertThatThrownBy(() -> client.ping(T)).isInstanceOf(AgentException.class);
  }

  @Test
  void connectingToAMissingSocketFailsWithinTheBound() {
    long t0 = System.nanoTime();
    assertThatThrownBy(() -> AgentClient.connect(dir.resolve("none.agent"), Duration.ofMillis(200)))
        .isInstanceOf(AgentException.class)
        .hasMessageContaining("cannot connect");
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(2));
  }

  @Test
  void readinessWaitsForTheRuntimeToBeWarm() throws Exception {
    agent.runtimeReady = false;
    Thread warm = new Thread(() -> {
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        return;
      }
      agent.runtimeReady = true;
    });
    warm.start();
    new AgentReadiness().awaitAnswer(agent.socket, T);
    // The fake reads the flag when it answers, so a return before it was set would find it false.
    assertThat(agent.runtimeReady).as("answered only once the runtime was warm").isTrue();
    warm.join();
  }

  @Test
  void readinessOfASocketThatAppearsLater() throws Exception {
    Path later = dir.resolve("later.agent");
    Thread t = new Thread(() -> {
      try {
        Thread.sleep(200);
        new FakeAgent(later);
      } catch (Exception e) {
        throw new RuntimeException(e);
      }
    });
    t.start();
    new AgentReadiness().awaitAnswer(later, T);
  }

  @Test
  void readinessHandsOverTheConnectionItSawTheAgentReadyOn() throws Exception {
    try (FakeAgent fresh = new FakeAgent(dir.resolve("fresh.agent"));
        AgentClient handed = new AgentReadiness().connectWhenReady(fresh.socket, T)) {
      assertThat(handed.ping(T).runtimeReady()).isTrue();
      assertThat(fresh.accepted).hasValue(1);
      assertThat(fresh.ended).hasValue(0);
    }
  }

  @Test
  void awaitAnswerClosesTheConnectionItUsed() throws Exception {
    try (FakeAgent fresh = new FakeAgent(dir.resolve("fresh.agent"))) {
      new AgentReadiness().awaitAnswer(fresh.socket, T);

      assertThat(fresh.accepted).hasValue(1);
      long deadline = System.nanoTime() + T.toNanos();
      while (fresh.ended.get() == 0 && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      assertThat(fresh.ended).hasValue(1);
    }
  }

  @Test
  void readinessGivesUpAtTheBound() {
    agent.runtimeReady = false;
    long t0 = System.nanoTime();
    assertThatThrownBy(() -> new AgentReadiness().awaitAnswer(agent.socket, Duration.ofMillis(400)))
        .isInstanceOf(AgentException.class)
        .hasMessageContaining("not ready within");
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(3));
  }
}

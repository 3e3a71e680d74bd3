package dev.faaster.vm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * An in-process guest agent speaking the same frames as guest/agent: announces READY (request id
 * 0) on every connection, answers READY?/PING with a status, SET_IDENTITY, LOAD_CODE, INVOKE
 * (echoing the event) and SHUTDOWN, and ERROR for anything else. It decodes strictly (no resync):
 * its job is to check what the Java side sends. Faults come from {@link #override}.
 */
final class FakeAgent implements AutoCloseable {

  static final ObjectMapper JSON = new ObjectMapper();

  final Path socket;
  final List<AgentFrame> received = new CopyOnWriteArrayList<>();
  /** Host connections accepted, and those the host has since closed. */
  final AtomicInteger accepted = new AtomicInteger();
  final AtomicInteger ended = new AtomicInteger();
  volatile boolean runtimeReady = true;
  volatile boolean announce = true;
  /** Whether READY requests are answered (the announcement alone is a frame from the past). */
  volatile boolean answerReady = true;
  /** Fault hook: a request -> raw bytes to write instead of the normal reply (empty: no reply). */
  volatile Function<AgentFrame, byte[]> override = f -> null;
  private final ServerSocketChannel server;
  private final Thread acceptor;
  private volatile String instanceId = "";

  FakeAgent(Path socket) throws IOException {
    this.socket = socket;
    Files.deleteIfExists(socket);
    server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(socket));
    acceptor = new Thread(this::acceptLoop, "fake-agent");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  private void acceptLoop() {
    while (server.isOpen()) {
      try {
        SocketChannel c = server.accept();
        accepted.incrementAndGet();
        Thread t = new Thread(() -> serve(c), "fake-agent-conn");
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        return;
      }
    }
  }

  private void serve(SocketChannel c) {
    try {
      serveFrames(c);
    } finally {
      ended.incrementAndGet();
    }
  }

  private void serveFrames(SocketChannel c) {
    try (c; InputStream in = Channels.newInputStream(c); OutputStream out = Channels.newOutputStream(c)) {
      if (announce) {
        write(out, frame(AgentFrame.READY_REPLY, 0, status()));
      }
      while (true) {
        byte[] h = in.readNBytes(AgentFrame.HEADER_SIZE);
        if (h.length < AgentFrame.HEADER_SIZE) {
          return;
        }
        ByteBuffer hb = ByteBuffer.wrap(h);
        if (hb.getInt(0) != AgentFrame.MAGIC || (int) AgentFrame.crc(hb, 0) != hb.getInt(20) || hb.get(4) != 1) {
          throw new IllegalStateException("host sent a bad header");
        }
        int type = hb.get(5) & 0xFF;
        long id = hb.getLong(8);
        int len = hb.getInt(16);
        byte[] p = in.readNBytes(len);
        byte[] meta = new byte[0];
        byte[] body = new byte[0];
        if (len > 0) {
          int m = ByteBuffer.wrap(p).getInt(0);
          meta = java.util.Arrays.copyOfRange(p, 4, 4 + m);
          body = java.util.Arrays.copyOfRange(p, 4 + m, len);
        }
        AgentFrame req = new AgentFrame(type, id, meta, body);
        received.add(req);
        if (type == AgentFrame.READY && !answerReady) {
          continue;
        }
        byte[] special = override.apply(req);
        if (special != null) {
          write(out, ByteBuffer.wrap(special));
          continue;
        }
        write(out, reply(req));
      }
    } catch (IOException | RuntimeException e) {
      // host went away, or a fault hook made the agent "crash": the connection closes
    }
  }

  private ByteBuffer reply(AgentFrame req) throws IOException {
    JsonNode meta = req.meta().length == 0 ? JSON.createObjectNode() : JSON.readTree(req.meta());
    return switch (req.type()) {
      case AgentFrame.READY -> frame(AgentFrame.READY_REPLY, req.requestId(), status());
      case AgentFrame.PING -> frame(AgentFrame.PONG, req.requestId(), status());
      case AgentFrame.SET_IDENTITY -> {
        instanceId = meta.path("instanceId").asText();
        yield frame(AgentFrame.IDENTITY_SET, req.requestId(), "{\"instanceId\":\"" + instanceId + "\",\"hostname\":\""
            + meta.path("hostname").asText() + "\",\"network\":\"not_requested\",\"entropyBytes\":" + req.body().length
            + ",\"kernelReseeded\":true,\"runtimeReseeded\":true,\"clockSet\":true}");
      }
      case AgentFrame.LOAD_CODE -> frame(AgentFrame.CODE_LOADED, req.requestId(), "{\"runtime\":\""
          + meta.path("runtime").asText() + "\",\"codeDir\":\"/run/code/1\",\"files\":1,\"bytes\":" + req.body().length
          + ",\"loadMs\":1.5}");
      case AgentFrame.INVOKE -> new AgentFrame(AgentFrame.RESULT, req.requestId(),
          "{\"status\":\"ok\",\"durationMs\":0.25}".getBytes(StandardCharsets.UTF_8), req.body()).encode();
      case AgentFrame.SHUTDOWN -> frame(AgentFrame.SHUTDOWN_ACK, req.requestId(), "{\"powerOff\":false}");
      default -> frame(AgentFrame.ERROR, req.requestId(), "{\"code\":\"invalid_request\",\"message\":\"no\"}");
    };
  }

  String status() {
    return "{\"protocol\":1,\"agent\":\"fake\",\"runtime\":\"provided\",\"runtimeReady\":" + runtimeReady
        + ",\"instanceId\":\"" + instanceId + "\",\"codeLoaded\":false,\"busy\":false,\"uptimeMs\":5,\"connections\":1,"
        + "\"futureField\":[1,2]}";
  }

  static ByteBuffer frame(int type, long id, String meta) {
    return new AgentFrame(type, id, meta.getBytes(StandardCharsets.UTF_8), null).encode();
  }

  private static void write(OutputStream out, ByteBuffer b) throws IOException {
    byte[] a = new byte[b.remaining()];
    b.get(a);
    out.write(a);
    out.flush();
  }

  @Override
  public void close() throws IOException {
    server.close();
    Files.deleteIfExists(socket);
  }

  /**
   * A probe whose guests answer: the guest's end of each agent socket is a FakeAgent (as QEMU
   * would offer it), made at the probe's first connection to that socket and recorded in {@code
   * agents}; the probe hands over the connections it makes and never probes and closes. With
   * {@code connectingAhead} it also connects to sockets of clones that have not run ({@link
   * AgentProbe#connectAhead}); without, it leaves that to the restore, as a probe that keeps no
   * such connection does.
   */
  static AgentProbe probe(java.util.Map<Path, FakeAgent> agents, boolean connectingAhead) {
    return new AgentProbe() {
      @Override
      public void awaitAnswer(Path agentSocket, java.time.Duration timeout) {
        throw new AssertionError("code that keeps connections must not probe and close");
      }

      @Override
      public AgentClient connectWhenReady(Path agentSocket, java.time.Duration timeout) throws InterruptedException {
        AgentClient c = connect(agentSocket, timeout);
        awaitReady(c, timeout);
        return c;
      }

      @Override
      public AgentClient connectAhead(Path agentSocket, java.time.Duration timeout) throws InterruptedException {
        return connectingAhead ? connect(agentSocket, timeout) : null;
      }

      private AgentClient connect(Path agentSocket, java.time.Duration timeout) throws InterruptedException {
        agents.computeIfAbsent(agentSocket, s -> {
          try {
            return new FakeAgent(s);
          } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        });
        return AgentClient.connect(agentSocket, timeout);
      }
    };
  }
}

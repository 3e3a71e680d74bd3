package dev.faaster.vm;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;

/**
 * The host side of the guest agent protocol on one connection: READY, PING, SET_IDENTITY,
 * LOAD_CODE, INVOKE and SHUTDOWN, one request at a time, each bounded by a timeout. An ERROR reply
 * becomes an {@link AgentException} carrying the agent's error code; frames answering nothing this
 * client waits for (a late reply to a request that timed out, an unsolicited READY) are dropped.
 *
 * <p>The connection survives a timed-out request (request ids keep replies apart); it does not
 * survive the agent closing it ({@link java.io.EOFException} inside an AgentException).
 */
public final class AgentClient implements AutoCloseable {

  static final ObjectMapper JSON = new ObjectMapper()
      .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
  private static final SecureRandom RANDOM = new SecureRandom();

  private final AgentChannel channel;
  private final Path socket;
  // Random start: ids from a previous connection's requests don't collide with this one's.
  private long nextId = (RANDOM.nextLong() >>> 2) + 1;
  private volatile AgentMessages.Status lastReady;

  private AgentClient(AgentChannel channel, Path socket) {
    this.channel = channel;
    this.socket = socket;
  }

  /**
   * Connects to the agent socket, retrying while QEMU hasn't created it yet.
   *
   * @throws AgentException if no connection within {@code timeout}
   */
  public static AgentClient connect(Path socket, Duration timeout) throws InterruptedException {
    return new AgentClient(AgentChannel.connect(socket, System.nanoTime() + timeout.toNanos()), socket);
  }

  /**
   * Asks the agent to announce itself and returns its answer to this request. The READY an agent
   * announces unsolicited (request id 0) whenever a host connects is recorded ({@link
   * #lastReady()}) but not taken as an answer: a template saved while its agent's announcement
   * was in flight keeps that frame in its virtio-serial device state, so every clone delivers it
   * the moment a host connects, before the restored guest has run at all.
   */
  public synchronized AgentMessages.Status awaitReady(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    long id = send(AgentFrame.READY, null, null, deadline);
    while (true) {
      AgentFrame f = receive(deadline, "READY");
      if (f.type() == AgentFrame.READY_REPLY && f.requestId() == 0) {
        lastReady = decode(f, AgentMessages.Status.class);
      } else if (f.type() == AgentFrame.READY_REPLY && f.requestId() == id) {
        lastReady = decode(f, AgentMessages.Status.class);
        return lastReady;
      } else if (f.type() == AgentFrame.ERROR && f.requestId() == id) {
        throw error(f);
      }
    }
  }

  /** PING: the agent's current status. */
  public synchronized AgentMessages.Status ping(Duration timeout) {
    return decode(call(AgentFrame.PING, null, null, timeout), AgentMessages.Status.class);
  }

  /** SET_IDENTITY with {@code entropy} (32..4096 random bytes) to reseed the guest. */
  public synchronized AgentMessages.IdentityReply setIdentity(AgentMessages.IdentityRequest request, byte[] entropy,
      Duration timeout) {
    if (entropy == null || entropy.length < AgentMessages.MIN_ENTROPY || entropy.length > AgentMessages.MAX_ENTROPY) {
      throw new IllegalArgumentException("entropy must be " + AgentMessages.MIN_ENTROPY + ".." + AgentMessages.MAX_ENTROPY
          + " bytes");
    }
    return decode(call(AgentFrame.SET_IDENTITY, request, entropy, timeout), AgentMessages.IdentityReply.class);
  }

  /** SET_IDENTITY with 64 fresh bytes from the host's SecureRandom. */
  public AgentMessages.IdentityReply setIdentity(AgentMessages.IdentityRequest request, Duration timeout) {
    byte[] entropy = new byte[64];
    RANDOM.nextBytes(entropy);
    return setIdentity(request, entropy, timeout);
  }

  /** LOAD_CODE: {@code zip} is the code package, or null when {@code request.path()} names it. */
  public synchronized AgentMessages.LoadCodeReply loadCode(AgentMessages.LoadCodeRequest request, byte[] zip,
      Duration timeout) {
    return decode(call(AgentFrame.LOAD_CODE, request, zip, timeout), AgentMessages.LoadCodeReply.class);
  }

  /**
   * INVOKE with {@code event} as the body. A function that fails or times out inside the guest is
   * a RESULT with a non-ok status, not an exception; {@code timeout} bounds the whole exchange
   * and should exceed {@code request.timeoutMs()}.
   */
  public synchronized AgentMessages.InvokeResult invoke(AgentMessages.InvokeRequest request, byte[] event,
      Duration timeout) {
    AgentFrame f = call(AgentFrame.INVOKE, request, event, timeout);
    return new AgentMessages.InvokeResult(decode(f, AgentMessages.ResultMeta.class), f.body());
  }

  /** SHUTDOWN: the agent stops its runtimes (and powers the guest off when it can). */
  public synchronized AgentMessages.ShutdownReply shutdown(Duration timeout) {
    return decode(call(AgentFrame.SHUTDOWN, null, null, timeout), AgentMessages.ShutdownReply.class);
  }

  /** The last READY seen on this connection, or null. */
  public AgentMessages.Status lastReady() {
    return lastReady;
  }

  public Path socket() {
    return socket;
  }

  @Override
  public void close() {
    channel.close();
  }

  private AgentFrame call(int type, Object meta, byte[] body, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    long id = send(type, meta, body, deadline);
    int reply = AgentFrame.replyTo(type);
    while (true) {
      AgentFrame f = receive(deadline, AgentFrame.name(reply));
      if (f.type() == AgentFrame.READY_REPLY && f.requestId() == 0) {
        lastReady = decode(f, AgentMessages.Status.class);
        continue;
      }
      if (f.requestId() != id) {
        continue; // a late reply to an earlier request
      }
      if (f.type() == AgentFrame.ERROR) {
        throw error(f);
      }
      if (f.type() != reply) {
        throw new AgentException("agent answered " + AgentFrame.name(type) + " with " + AgentFrame.name(f.type()));
      }
      return f;
    }
  }

  private long send(int type, Object meta, byte[] body, long deadline) {
    long id = nextId++;
    if (nextId <= 0) {
      nextId = 1;
    }
    byte[] m;
    try {
      m = meta == null ? null : JSON.writeValueAsBytes(meta);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot encode " + AgentFrame.name(type) + " meta", e);
    }
    try {
      channel.write(new AgentFrame(type, id, m, body), deadline);
    } catch (IOException e) {
      throw new AgentException("sending " + AgentFrame.name(type) + " to " + socket + ": " + e.getMessage(), e);
    }
    return id;
  }

  private AgentFrame receive(long deadline, String waitingFor) {
    try {
      return channel.read(deadline);
    } catch (AgentException e) {
      throw new AgentException("no " + waitingFor + " from the agent at " + socket + ": " + e.getMessage(), e);
    } catch (IOException e) {
      throw new AgentException("waiting for " + waitingFor + " from the agent at " + socket + ": " + e, e);
    }
  }

  private static AgentException error(AgentFrame f) {
    AgentMessages.ErrorMeta e = decode(f, AgentMessages.ErrorMeta.class);
    String msg = e.message() == null ? "" : e.message();
    if (e.detail() != null && !e.detail().isEmpty()) {
      msg += " (" + e.detail() + ")";
    }
    return new AgentException(e.code() == null ? "unknown" : e.code(), msg, null);
  }

  static <T> T decode(AgentFrame f, Class<T> type) {
    try {
      return JSON.readValue(f.meta().length == 0 ? "{}".getBytes() : f.meta(), type);
    } catch (IOException e) {
      throw new AgentException("malformed " + AgentFrame.name(f.type()) + " meta: " + e.getMessage(), e);
    }
  }
}

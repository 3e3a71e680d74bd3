package dev.faaster.vm;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;

/**
 * A framed connection to a guest agent over the unix socket QEMU exposes for the
 * {@code dev.faaster.agent} virtio-serial port. Every read and write has a deadline (a
 * non-blocking channel and a selector), so a guest that stops answering can't hang the host.
 *
 * <p>Reading resynchronises like the agent's own decoder: bytes that don't start a header with the
 * right magic and CRC are skipped up to the next magic; a well-formed frame this side can't use
 * (other version, unknown type, oversized) is skipped by its length. Both are counted, not thrown:
 * the reply the caller waits for may still come. Not thread-safe: one caller at a time.
 */
public final class AgentChannel implements AutoCloseable {

  private final SocketChannel ch;
  private final Selector selector;
  private ByteBuffer in = ByteBuffer.allocate(64 << 10).flip();
  private long skippedBytes;
  private long rejectedFrames;

  private AgentChannel(SocketChannel ch) throws IOException {
    this.ch = ch;
    ch.configureBlocking(false);
    this.selector = Selector.open();
  }

  /**
   * Connects to {@code socket}, retrying while it doesn't exist or refuses (QEMU still starting),
   * until {@code deadlineNanos} ({@link System#nanoTime()} based).
   *
   * @throws AgentException if no connection could be made in time
   */
  public static AgentChannel connect(Path socket, long deadlineNanos) throws InterruptedException {
    IOException last = null;
    do {
      SocketChannel c = null;
      try {
        c = SocketChannel.open(StandardProtocolFamily.UNIX);
        c.connect(UnixDomainSocketAddress.of(socket));
        return new AgentChannel(c);
      } catch (IOException e) {
        last = e;
        closeQuietly(c);
      }
      Thread.sleep(5);
    } while (System.nanoTime() - deadlineNanos < 0);
    throw new AgentException("cannot connect to agent socket " + socket + ": " + (last == null ? "timeout" : last.getMessage()), last);
  }

  /** Writes one frame completely before {@code deadlineNanos}. */
  public void write(AgentFrame frame, long deadlineNanos) throws IOException {
    ByteBuffer b = frame.encode();
    while (b.hasRemaining()) {
      if (ch.write(b) == 0) {
        await(SelectionKey.OP_WRITE, deadlineNanos, "writing " + frame);
      }
    }
  }

  /**
   * Reads the next well-formed frame of this protocol version.
   *
   * @throws java.io.EOFException when the agent side closed
   * @throws AgentException when the deadline passes first
   */
  public AgentFrame read(long deadlineNanos) throws IOException {
    while (true) {
      fill(AgentFrame.HEADER_SIZE, deadlineNanos);
      int p = in.position();
      if (in.getInt(p) != AgentFrame.MAGIC || (int) AgentFrame.crc(in, p) != in.getInt(p + 20)) {
        skipToNextMagic();
        continue;
      }
      int version = in.get(p + 4) & 0xFF;
      int type = in.get(p + 5) & 0xFF;
      long id = in.getLong(p + 8);
      long payloadLen = Integer.toUnsignedLong(in.getInt(p + 16));
      in.position(p + AgentFrame.HEADER_SIZE);
      if (version != AgentFrame.VERSION || !AgentFrame.known(type) || payloadLen > AgentFrame.MAX_PAYLOAD) {
        rejectedFrames++;
        skip(payloadLen, deadlineNanos);
        continue;
      }
      int n = (int) payloadLen;
      if (n == 0) {
        return new AgentFrame(type, id, null, null);
      }
      fill(n, deadlineNanos);
      int start = in.position();
      long metaLen = n < 4 ? -1 : Integer.toUnsignedLong(in.getInt(start));
      if (metaLen < 0 || metaLen > AgentFrame.MAX_META || metaLen > n - 4 || n - 4 - metaLen > AgentFrame.MAX_BODY) {
        rejectedFrames++;
        in.position(start + n);
        continue;
      }
      byte[] meta = new byte[(int) metaLen];
      byte[] body = new byte[n - 4 - (int) metaLen];
      in.position(start + 4);
      in.get(meta).get(body);
      return new AgentFrame(type, id, meta, body);
    }
  }

  /** Garbage bytes skipped while looking for a header, over this connection's life. */
  public long skippedBytes() {
    return skippedBytes;
  }

  /** Well-formed frames skipped (other version, unknown type, oversized, bad payload). */
  public long rejectedFrames() {
    return rejectedFrames;
  }

  @Override
  public void close() {
    closeQuietly(selector);
    closeQuietly(ch);
  }

  /** Drops the byte at the position and everything up to the next possible magic. */
  private void skipToNextMagic() {
    int p = in.position() + 1;
    int lim = in.limit();
    byte m0 = (byte) (AgentFrame.MAGIC >>> 24);
    while (p < lim && in.get(p) != m0) {
      p++;
    }
    skippedBytes += p - in.position();
    in.position(p);
  }

  private void skip(long n, long deadlineNanos) throws IOException {
    while (n > 0) {
      if (!in.hasRemaining()) {
        fill(1, deadlineNanos);
      }
      int k = (int) Math.min(n, in.remaining());
      in.position(in.position() + k);
      n -= k;
    }
  }

  /** Makes at least {@code n} unread bytes available in {@code in} (kept in read mode). */
  private void fill(int n, long deadlineNanos) throws IOException {
    if (in.remaining() >= n) {
      return;
    }
    in.compact();
    try {
      if (in.capacity() < n) {
        ByteBuffer bigger = ByteBuffer.allocate(Math.max(n, in.capacity() * 2));
        in.flip();
        bigger.put(in);
        in = bigger;
      }
      while (in.position() < n) {
        int r = ch.read(in);
        if (r < 0) {
          throw new java.io.EOFException("agent closed the connection");
        }
        if (r == 0) {
          await(SelectionKey.OP_READ, deadlineNanos, "reading");
        }
      }
    } finally {
      in.flip();
    }
  }

  private void await(int op, long deadlineNanos, String what) throws IOException {
    long left = deadlineNanos - System.nanoTime();
    if (left <= 0) {
      throw new AgentException("agent timed out " + what);
    }
    SelectionKey key = ch.register(selector, op);
    try {
      selector.select(Math.max(1, left / 1_000_000));
      selector.selectedKeys().clear();
    } finally {
      key.interestOps(0);
    }
    if (Thread.interrupted()) {
      throw new java.io.InterruptedIOException("interrupted while " + what);
    }
  }

  private static void closeQuietly(AutoCloseable c) {
    if (c != null) {
      try {
        c.close();
      } catch (Exception ignored) {
        // closing
      }
    }
  }
}

package dev.faaster.vm;

import java.nio.ByteBuffer;
import java.util.zip.CRC32;

/**
 * One message of the guest agent protocol (guest/PROTOCOL.md, guest/protocol/frame.go): a fixed
 * 24-byte header, then a payload of a JSON meta object and a raw body.
 *
 * <pre>
 * offset size field
 *  0     4    magic "FAAG" (0x46414147), big-endian like every integer here
 *  4     1    version (1)
 *  5     1    type (requests &lt; 0x80; the reply to t is t|0x80; 0xFF ERROR)
 *  6     2    flags (0)
 *  8     8    request id (0 only for the agent's unsolicited READY)
 * 16     4    payload length (0, or 4 + meta length + body length)
 * 20     4    CRC-32 (IEEE) of bytes 0..19
 * 24     4    meta length       \
 * 28     m    meta (JSON)        } payload, absent when meta and body are both empty
 * 28+m   b    body              /
 * </pre>
 *
 * @param type message type
 * @param requestId request id; a reply carries its request's id
 * @param meta JSON object bytes (may be empty)
 * @param body raw bytes (may be empty)
 */
public record AgentFrame(int type, long requestId, byte[] meta, byte[] body) {

  public static final int MAGIC = 0x46414147;
  public static final int VERSION = 1;
  public static final int HEADER_SIZE = 24;
  /** Largest meta (JSON) section. */
  public static final int MAX_META = 64 << 10;
  /** Largest body: the platform's invoke payload limit (6 MiB). */
  public static final int MAX_BODY = 6 << 20;
  public static final int MAX_PAYLOAD = 4 + MAX_META + MAX_BODY;

  public static final int READY = 0x01;
  public static final int PING = 0x02;
  public static final int SET_IDENTITY = 0x03;
  public static final int LOAD_CODE = 0x04;
  public static final int INVOKE = 0x05;
  public static final int SHUTDOWN = 0x06;
  public static final int READY_REPLY = 0x81;
  public static final int PONG = 0x82;
  public static final int IDENTITY_SET = 0x83;
  public static final int CODE_LOADED = 0x84;
  public static final int RESULT = 0x85;
  public static final int SHUTDOWN_ACK = 0x86;
  public static final int ERROR = 0xFF;

  private static final byte[] EMPTY = new byte[0];

  public AgentFrame {
    meta = meta == null ? EMPTY : meta;
    body = body == null ? EMPTY : body;
    if (type < 0 || type > 0xFF) {
      throw new IllegalArgumentException("type out of range: " + type);
    }
  }

  /** Whether {@code t} is a type of this protocol version. */
  public static boolean known(int t) {
    return (t >= READY && t <= SHUTDOWN) || (t >= READY_REPLY && t <= SHUTDOWN_ACK) || t == ERROR;
  }

  /** The reply type to request type {@code t}. */
  public static int replyTo(int t) {
    return t | 0x80;
  }

  /** Human name of a type, for messages. */
  public static String name(int t) {
    return switch (t) {
      case READY -> "READY?";
      case PING -> "PING";
      case SET_IDENTITY -> "SET_IDENTITY";
      case LOAD_CODE -> "LOAD_CODE";
      case INVOKE -> "INVOKE";
      case SHUTDOWN -> "SHUTDOWN";
      case READY_REPLY -> "READY";
      case PONG -> "PONG";
      case IDENTITY_SET -> "IDENTITY_SET";
      case CODE_LOADED -> "CODE_LOADED";
      case RESULT -> "RESULT";
      case SHUTDOWN_ACK -> "SHUTDOWN_ACK";
      case ERROR -> "ERROR";
      default -> String.format("Type(0x%02x)", t);
    };
  }

  /**
   * The frame as wire bytes.
   *
   * @throws IllegalArgumentException if meta or body exceed the protocol's limits
   */
  public ByteBuffer encode() {
    if (meta.length > MAX_META) {
      throw new IllegalArgumentException("meta " + meta.length + " bytes > " + MAX_META);
    }
    if (body.length > MAX_BODY) {
      throw new IllegalArgumentException("body " + body.length + " bytes > " + MAX_BODY);
    }
    int payload = meta.length == 0 && body.length == 0 ? 0 : 4 + meta.length + body.length;
    ByteBuffer b = ByteBuffer.allocate(HEADER_SIZE + payload);
    putHeader(b, type, requestId, payload);
    if (payload > 0) {
      b.putInt(meta.length).put(meta).put(body);
    }
    return b.flip();
  }

  /** Writes a header (with magic, version 1, flags 0 and CRC) at b's position. */
  static void putHeader(ByteBuffer b, int type, long requestId, int payloadLen) {
    int start = b.position();
    b.putInt(MAGIC).put((byte) VERSION).put((byte) type).putShort((short) 0).putLong(requestId).putInt(payloadLen);
    b.putInt((int) crc(b, start));
  }

  /** CRC-32 of the 20 header bytes starting at {@code start}. */
  static long crc(ByteBuffer b, int start) {
    CRC32 c = new CRC32();
    c.update(b.duplicate().position(start).limit(start + 20));
    return c.getValue();
  }

  @Override
  public String toString() {
    return name(type) + "#" + Long.toUnsignedString(requestId) + "(meta " + meta.length + " B, body " + body.length + " B)";
  }
}

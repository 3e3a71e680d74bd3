package dev.faaster.zonecache.store;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.time.Instant;

/**
 * A verified package, open for reading. The channel stays valid even if the entry is evicted
 * meanwhile (the file is unlinked, not truncated). Close it, or hand it to {@link #slice}, whose
 * stream closes it.
 */
public final class CachedPackage implements Closeable {

  private final String sha256;
  private final FileChannel channel;
  private final long sizeBytes;
  private final Instant installed;
  private final boolean hit;

  CachedPackage(String sha256, FileChannel channel, long sizeBytes, Instant installed, boolean hit) {
    this.sha256 = sha256;
    this.channel = channel;
    this.sizeBytes = sizeBytes;
    this.installed = installed;
    this.hit = hit;
  }

  public String sha256() {
    return sha256;
  }

  public long sizeBytes() {
    return sizeBytes;
  }

  /** When the entry was installed (its file's modification time). */
  public Instant installed() {
    return installed;
  }

  /** True when the cache held the package; false when this request waited for an origin fetch. */
  public boolean hit() {
    return hit;
  }

  /**
   * Reads from {@code position} into {@code target} (positional: no shared file position, so
   * concurrent slices of one package don't interfere).
   *
   * @return bytes read, -1 at the end of the file
   */
  public int read(ByteBuffer target, long position) throws IOException {
    return channel.read(target, position);
  }

  /** A stream of {@code length} bytes from {@code start}; closing it closes this package. */
  public InputStream slice(long start, long length) {
    if (start < 0 || length < 0 || start + length > sizeBytes) {
      throw new IllegalArgumentException(
          "slice " + start + "+" + length + " outside a package of " + sizeBytes + " bytes");
    }
    return new SliceInputStream(channel, start, length);
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }

  /** Positional reads from the channel: no shared file position, no copy beyond the caller's buffer. */
  private static final class SliceInputStream extends InputStream {

    private final FileChannel channel;
    private long position;
    private long remaining;

    SliceInputStream(FileChannel channel, long start, long length) {
      this.channel = channel;
      this.position = start;
      this.remaining = length;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) == -1 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
      if (length == 0) {
        return 0;
      }
      if (remaining <= 0) {
        return -1;
      }
      int wanted = (int) Math.min(length, remaining);
      int read = channel.read(ByteBuffer.wrap(buffer, offset, wanted), position);
      if (read < 0) {
        throw new IOException("package file ended " + remaining + " bytes early");
      }
      position += read;
      remaining -= read;
      return read;
    }

    @Override
    public int available() {
      return (int) Math.min(Integer.MAX_VALUE, remaining);
    }

    @Override
    public void close() throws IOException {
      channel.close();
    }
  }
}

package dev.faaster.zonecache.http;

import io.micronaut.buffer.netty.NettyReadBufferFactory;
import io.micronaut.core.annotation.Internal;
import io.micronaut.core.io.buffer.ReadBuffer;
import io.micronaut.core.io.buffer.ReadBufferFactory;
import io.micronaut.core.type.Argument;
import io.micronaut.core.type.MutableHeaders;
import io.micronaut.http.ByteBodyHttpResponse;
import io.micronaut.http.ByteBodyHttpResponseWrapper;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.MediaType;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.body.ByteBodyFactory;
import io.micronaut.http.body.CloseableByteBody;
import io.micronaut.http.body.ResponseBodyWriter;
import io.micronaut.http.codec.CodecException;
import io.micronaut.scheduling.TaskExecutors;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import jakarta.inject.Named;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.OptionalLong;
import java.util.concurrent.ExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * Streams a {@link PackageBody} in large chunks read straight from the file into pooled (direct)
 * Netty buffers, on the IO executor, as fast as the connection takes them. Micronaut's own file
 * writers go through an InputStream in 8 KiB pieces, which caps a connection well below the zone
 * cache's throughput target.
 */
@Singleton
@Internal
public class PackageBodyWriter implements ResponseBodyWriter<PackageBody> {

  /** Bytes per read and per buffer handed to Netty. */
  static final int CHUNK_BYTES = 512 * 1024;

  private static final Logger log = LoggerFactory.getLogger(PackageBodyWriter.class);

  private final Scheduler reads;

  public PackageBodyWriter(@Named(TaskExecutors.IO) ExecutorService io) {
    this.reads = Schedulers.fromExecutorService(io, "zone-cache-reads");
  }

  @Override
  public ByteBodyHttpResponse<?> write(
      ByteBodyFactory bodies,
      HttpRequest<?> request,
      MutableHttpResponse<PackageBody> response,
      Argument<PackageBody> type,
      MediaType mediaType,
      PackageBody body) {
    return ByteBodyHttpResponseWrapper.wrap(response, bytes(bodies, body));
  }

  @Override
  public CloseableByteBody writePiece(
      ByteBodyFactory bodies,
      HttpRequest<?> request,
      HttpResponse<?> response,
      Argument<PackageBody> type,
      MediaType mediaType,
      PackageBody body) {
    return bytes(bodies, body);
  }

  private CloseableByteBody bytes(ByteBodyFactory bodies, PackageBody body) {
    long end = body.start() + body.length();
    ReadBufferFactory readBuffers = bodies.readBufferFactory();
    Object allocator = bodies.byteBufferFactory().getNativeAllocator();
    Flux<ReadBuffer> chunks =
        Flux.<ReadBuffer, Long>generate(
                body::start,
                (position, sink) -> {
                  if (position >= end) {
                    sink.complete();
                    return position;
                  }
                  int length = (int) Math.min(CHUNK_BYTES, end - position);
                  try {
                    sink.next(read(body, position, length, readBuffers, allocator));
                  } catch (IOException e) {
                    sink.error(new UncheckedIOException("cannot read package " + body.pkg().sha256(), e));
                  }
                  return position + length;
                },
                position -> close(body))
            .subscribeOn(reads);
    return bodies.adapt(chunks, OptionalLong.of(body.length()));
  }

  private static ReadBuffer read(
      PackageBody body, long position, int length, ReadBufferFactory readBuffers, Object allocator)
      throws IOException {
    if (readBuffers instanceof NettyReadBufferFactory netty && allocator instanceof ByteBufAllocator alloc) {
      ByteBuf buffer = alloc.directBuffer(length, length);
      try {
        ByteBuffer target = buffer.nioBuffer(0, length);
        fill(body, target, position);
        buffer.writerIndex(length);
        return netty.adapt(buffer);
      } catch (IOException | RuntimeException e) {
        buffer.release();
        throw e;
      }
    }
    ByteBuffer target = ByteBuffer.allocate(length);
    fill(body, target, position);
    return readBuffers.adapt(target.array());
  }

  private static void fill(PackageBody body, ByteBuffer target, long position) throws IOException {
    long at = position;
    while (target.hasRemaining()) {
      int read = body.pkg().read(target, at);
      if (read < 0) {
        throw new IOException("package file ended at byte " + at);
      }
      at += read;
    }
  }

  private static void close(PackageBody body) {
    try {
      body.pkg().close();
    } catch (IOException e) {
      log.debug("cannot close package {}: {}", body.pkg().sha256(), e.getMessage());
    }
  }

  /** Outside Netty (never in this server): a plain copy. */
  @Override
  public void writeTo(
      Argument<PackageBody> type, MediaType mediaType, PackageBody body, MutableHeaders headers, OutputStream out)
      throws CodecException {
    try (InputStream in = body.pkg().slice(body.start(), body.length())) {
      in.transferTo(out);
    } catch (IOException e) {
      throw new CodecException("cannot write package " + body.pkg().sha256(), e);
    }
  }
}

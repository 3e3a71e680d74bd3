package dev.faaster.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MigrationStreamsTest {

  @TempDir Path dir;

  @Test
  void receiverCopiesTheWholeStreamIntoTheFile() throws Exception {
    byte[] data = new byte[3_000_000];
    new Random(7).nextBytes(data);
    Path sock = dir.resolve("m.sock");
    Path out = dir.resolve("state");
    try (MigrationStreams.Receiver rx = new MigrationStreams.Receiver(sock)) {
      CompletableFuture<Void> sender = CompletableFuture.runAsync(() -> {
        try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(sock))) {
          c.write(ByteBuffer.wrap(data));
        } catch (IOException e) {
          throw new RuntimeException(e);
        }
      });
      assertThat(rx.receiveInto(out, Duration.ofSeconds(10))).isEqualTo(data.length);
      sender.get();
    }
    assertThat(Files.readAllBytes(out)).isEqualTo(data);
    assertThat(sock).doesNotExist();
  }

  @Test
  void receiverGivesUpAtTheDeadlineWhenNobodyConnects() throws Exception {
    Path sock = dir.resolve("m.sock");
    long t0 = System.nanoTime();
    try (MigrationStreams.Receiver rx = new MigrationStreams.Receiver(sock)) {
      assertThatThrownBy(() -> rx.receiveInto(dir.resolve("state"), Duration.ofMillis(300)))
          .isInstanceOf(IOException.class)
          .hasMessageContaining("within");
    }
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(3));
  }

  @Test
  void receiverGivesUpAtTheDeadlineWhenTheSenderStalls() throws Exception {
    Path sock = dir.resolve("m.sock");
    try (MigrationStreams.Receiver rx = new MigrationStreams.Receiver(sock);
        SocketChannel stalled = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      stalled.connect(UnixDomainSocketAddress.of(sock));
      stalled.write(ByteBuffer.wrap(new byte[100]));
      assertThatThrownBy(() -> rx.receiveInto(dir.resolve("state"), Duration.ofMillis(300)))
          .isInstanceOf(IOException.class);
    }
  }

  @Test
  void sendWritesEverythingAndCloses() throws Exception {
    byte[] data = new byte[500_000];
    new Random(3).nextBytes(data);
    Path sock = dir.resolve("in.sock");
    try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      server.bind(UnixDomainSocketAddress.of(sock));
      CompletableFuture<byte[]> got = CompletableFuture.supplyAsync(() -> {
        try (SocketChannel c = server.accept()) {
          ByteBuffer b = ByteBuffer.allocate(data.length + 10);
          while (c.read(b) >= 0) {
            // until EOF
          }
          return java.util.Arrays.copyOf(b.array(), b.position());
        } catch (IOException e) {
          throw new RuntimeException(e);
        }
      });
      MigrationStreams.send(sock, ByteBuffer.wrap(data), Duration.ofSeconds(5));
      assertThat(got.get()).isEqualTo(data);
    }
  }

  @Test
  void sendToASocketNobodyListensOnFailsAtTheDeadline() {
    long t0 = System.nanoTime();
    assertThatThrownBy(() -> MigrationStreams.send(dir.resolve("none.sock"), ByteBuffer.allocate(10), Duration.ofMillis(200)))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("cannot connect");
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(2));
  }

  @Test
  void sendToAReaderThatStopsReadingFailsAtTheDeadline() throws Exception {
    Path sock = dir.resolve("slow.sock");
    try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      server.bind(UnixDomainSocketAddress.of(sock));
      // Accepted by the kernel backlog, never read: 64 MiB can't fit in the socket buffers.
      assertThatThrownBy(() -> MigrationStreams.send(sock, ByteBuffer.allocate(64 << 20), Duration.ofMillis(300)))
          .isInstanceOf(IOException.class);
    }
  }
}

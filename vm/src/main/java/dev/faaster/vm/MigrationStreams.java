package dev.faaster.vm;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channel;
import java.nio.channels.FileChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Moves device state between QEMU and files over unix sockets. libvirt runs QEMU in a seccomp
 * sandbox that kills it on {@code exec:} migration, so the host process is the other end: it
 * listens while a template's QEMU {@code migrate}s into a file, and it connects to a clone's QEMU
 * ({@code migrate-incoming}) to write a saved state in. Every blocking step is bounded: a
 * watchdog closes the channels when the deadline passes.
 */
final class MigrationStreams {

  private static final ScheduledExecutorService WATCHDOG = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "faaster-vm-watchdog");
    t.setDaemon(true);
    return t;
  });

  private MigrationStreams() {}

  /** A listening socket that accepts one connection (QEMU's) and copies it into a file. */
  static final class Receiver implements AutoCloseable {
    private final Path socket;
    private final ServerSocketChannel server;

    Receiver(Path socket) throws IOException {
      this.socket = socket;
      Files.deleteIfExists(socket);
      server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
      server.bind(UnixDomainSocketAddress.of(socket), 1);
    }

    /**
     * Accepts QEMU's connection and copies everything it sends into {@code out} until QEMU closes
     * its end (the migration's end).
     *
     * @return bytes received
     * @throws IOException on I/O failure, or when {@code timeout} passed first
     */
    long receiveInto(Path out, Duration timeout) throws IOException {
      try (Deadline d = Deadline.arm(timeout, server)) {
        try (SocketChannel in = server.accept();
            FileChannel file = FileChannel.open(out, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
          d.alsoClose(in);
          ByteBuffer buf = ByteBuffer.allocateDirect(1 << 18);
          long total = 0;
          while (in.read(buf) >= 0) {
            buf.flip();
            while (buf.hasRemaining()) {
              total += file.write(buf);
            }
            buf.clear();
          }
          return total;
        } catch (IOException e) {
          throw d.expired() ? new IOException("no complete migration stream within " + timeout, e) : e;
        }
      }
    }

    @Override
    public void close() throws IOException {
      try {
        server.close();
      } finally {
        Files.deleteIfExists(socket);
      }
    }
  }

  /**
   * Connects to the socket QEMU listens on ({@code migrate-incoming unix:...}), writes
   * {@code state} into it and waits until QEMU closes its end. QEMU closes the stream only after
   * it loaded the state and set the run state (process_incoming_migration_bh sets the run state,
   * then destroys the incoming state, which closes the channel), or when it failed and exits; so
   * the return marks "loaded" without polling query-status. Retries the connect until the socket
   * accepts (QEMU may not have bound it yet).
   *
   * @throws IOException on failure, or when {@code timeout} passed first
   */
  static void send(Path socket, ByteBuffer state, Duration timeout) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    SocketChannel ch = null;
    IOException last = null;
    while (ch == null) {
      SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX);
      try {
        c.connect(UnixDomainSocketAddress.of(socket));
        ch = c;
      } catch (IOException e) {
        c.close();
        last = e;
        if (System.nanoTime() - deadline > 0) {
          throw new IOException("cannot connect to " + socket + " within " + timeout, e);
        }
        Thread.sleep(2);
      }
    }
    long left = Math.max(1, deadline - System.nanoTime());
    try (SocketChannel c = ch; Deadline d = Deadline.arm(Duration.ofNanos(left), c)) {
      ByteBuffer b = state.duplicate();
      try {
        while (b.hasRemaining()) {
          c.write(b);
        }
        c.shutdownOutput();
        ByteBuffer sink = ByteBuffer.allocate(64);
        while (c.read(sink) >= 0) {
          sink.clear(); // QEMU sends nothing back on a precopy stream; wait for its close
        }
      } catch (IOException e) {
        throw d.expired() ? new IOException("state not loaded within " + timeout
            + " (QEMU did not close the migration stream)", e) : e;
      }
    }
  }

  /** Closes the given channels when its time is up, unless closed first. */
  static final class Deadline implements AutoCloseable {
    private final AtomicBoolean expired = new AtomicBoolean();
    private final java.util.List<Channel> channels = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final ScheduledFuture<?> task;

    private Deadline(Duration timeout, Channel first) {
      channels.add(first);
      task = WATCHDOG.schedule(this::expire, timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    static Deadline arm(Duration timeout, Channel channel) {
      return new Deadline(timeout, channel);
    }

    void alsoClose(Channel c) {
      channels.add(c);
      if (expired.get()) {
        expire();
      }
    }

    boolean expired() {
      return expired.get();
    }

    private void expire() {
      expired.set(true);
      for (Channel c : channels) {
        try {
          c.close();
        } catch (IOException ignored) {
          // closing to unblock; nothing to do about a failure
        }
      }
    }

    @Override
    public void close() {
      task.cancel(false);
    }
  }
}

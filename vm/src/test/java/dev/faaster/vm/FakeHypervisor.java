package dev.faaster.vm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A hand-written hypervisor double that behaves like QEMU behind libvirt for the commands the VM
 * code sends: {@code migrate} writes {@link #stateToSend} into the host's socket,
 * {@code migrate-incoming} listens and reads the state, flipping the run state from inmigrate to
 * paused. Faults are injected through {@link #onQmp} (return a reply or throw) and
 * {@link #loadedStatus}.
 */
final class FakeHypervisor implements Hypervisor {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern NAME = Pattern.compile("<name>([^<]+)</name>");
  private static final Pattern UUID_RE = Pattern.compile("<uuid>([^<]+)</uuid>");

  static final class FakeDomain {
    final String name;
    final UUID uuid;
    final String xml;
    volatile String status;
    volatile boolean autostart;
    volatile long stateReceived = -1;
    volatile ServerSocketChannel incoming;

    FakeDomain(String name, UUID uuid, String xml, String status) {
      this.name = name;
      this.uuid = uuid;
      this.xml = xml;
      this.status = status;
    }
  }

  final Map<String, FakeDomain> domains = new ConcurrentHashMap<>();
  final List<String> created = new CopyOnWriteArrayList<>();
  final List<String> destroyed = new CopyOnWriteArrayList<>();
  final List<String> commands = new CopyOnWriteArrayList<>();
  /** What a template's {@code migrate} sends. */
  volatile byte[] stateToSend = new byte[300 * 1024];
  /** Run state a clone reports once a paused guest's state arrived (or without autostart). */
  volatile String loadedStatus = "paused";
  /** Whether the state clones load was saved from a running guest. */
  volatile boolean savedRunning = true;
  /**
   * How a clone's QEMU treats the incoming state: null loads it and closes the stream (as QEMU
   * does), "hang" reads it and never closes, "die" reads it and exits (the domain disappears).
   */
  volatile String incomingFault;
  /** Status {@code query-migrate} reports after an outgoing migration. */
  volatile String outgoingMigrationStatus = "completed";
  /** Fault hook: (domain, command) -> a reply to return instead, or null to behave normally. */
  volatile Function<String[], String> onQmp = c -> null;
  /** Hook run with the XML before a create (may throw or block). */
  volatile java.util.function.Consumer<String> onCreate = xml -> { };
  /** Hook run with a domain's name when it is about to be destroyed (the domain still exists). */
  volatile java.util.function.Consumer<String> onDestroy = name -> { };
  /** Hook run with the XML after a create succeeded (e.g. to write a console line). */
  volatile java.util.function.Consumer<String> onCreated = xml -> { };

  @Override
  public String uri() {
    return "fake:///";
  }

  @Override
  public String version() {
    return "7.2.22";
  }

  @Override
  public DomainRef create(String domainXml) {
    onCreate.accept(domainXml);
    String name = find(NAME, domainXml);
    UUID uuid = UUID.fromString(find(UUID_RE, domainXml));
    if (domains.values().stream().anyMatch(d -> d.name.equals(name) || d.uuid.equals(uuid))) {
      throw new HypervisorException("domain " + name + " already exists");
    }
    boolean incoming = domainXml.contains("<qemu:arg value='-incoming'/>");
    domains.put(name, new FakeDomain(name, uuid, domainXml, incoming ? "inmigrate" : "running"));
    created.add(name);
    onCreated.accept(domainXml);
    return new DomainRef(name, uuid, true);
  }

  @Override
  public String qmp(String domainName, String command) {
    FakeDomain d = domains.get(domainName);
    if (d == null) {
      throw new HypervisorException("Domain not found: " + domainName);
    }
    JsonNode req;
    try {
      req = JSON.readTree(command);
    } catch (IOException e) {
      throw new IllegalArgumentException(e);
    }
    String exec = req.path("execute").asText();
    commands.add(domainName + " " + exec);
    String injected = onQmp.apply(new String[] {domainName, exec});
    if (injected != null) {
      return injected;
    }
    switch (exec) {
      case "stop" -> d.status = "paused";
      case "cont" -> {
        if (d.status.equals("inmigrate")) {
          d.autostart = true; // as QEMU: cont while inmigrate only sets autostart
        } else {
          d.status = "running";
        }
      }
      case "query-status" -> {
        return "{\"return\":{\"status\":\"" + d.status + "\",\"running\":false}}";
      }
      case "migrate-set-capabilities" -> { }
      case "migrate" -> send(d, Path.of(req.path("arguments").path("uri").asText().substring("unix:".length())));
      case "query-migrate" -> {
        return "{\"return\":{\"status\":\"" + outgoingMigrationStatus + "\"}}";
      }
      case "migrate-incoming" -> listen(d, Path.of(req.path("arguments").path("uri").asText().substring("unix:".length())));
      default -> {
        return "{\"error\":{\"class\":\"CommandNotFound\",\"desc\":\"The command " + exec + " has not been found\"}}";
      }
    }
    return "{\"return\":{}}";
  }

  @Override
  public String liveXml(String domainName) {
    FakeDomain d = domains.get(domainName);
    if (d == null) {
      throw new HypervisorException("Domain not found: " + domainName);
    }
    return d.xml.replace("machine='pc'", "machine='pc-i440fx-7.2'");
  }

  @Override
  public boolean destroy(String domainName) {
    if (domains.containsKey(domainName)) {
      onDestroy.accept(domainName);
    }
    FakeDomain d = domains.remove(domainName);
    if (d == null) {
      return false;
    }
    destroyed.add(domainName);
    if (d.incoming != null) {
      try {
        d.incoming.close();
      } catch (IOException ignored) {
        // closing
      }
    }
    return true;
  }

  @Override
  public List<DomainRef> list(String namePrefix) {
    List<DomainRef> out = new ArrayList<>();
    for (FakeDomain d : domains.values()) {
      if (d.name.startsWith(namePrefix)) {
        out.add(new DomainRef(d.name, d.uuid, true));
      }
    }
    return out;
  }

  @Override
  public boolean isAlive(String domainName) {
    return domains.containsKey(domainName);
  }

  @Override
  public OptionalLong qemuPid(String domainName) {
    return OptionalLong.empty();
  }

  @Override
  public void close() {}

  private void send(FakeDomain d, Path socket) {
    byte[] state = stateToSend;
    Thread t = new Thread(() -> {
      try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
        ByteBuffer b = ByteBuffer.wrap(state);
        while (b.hasRemaining()) {
          c.write(b);
        }
      } catch (IOException e) {
        outgoingMigrationStatus = "failed";
      }
    }, "fake-qemu-migrate");
    t.setDaemon(true);
    t.start();
  }

  private void listen(FakeDomain d, Path socket) {
    try {
      Files.deleteIfExists(socket);
      ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
      server.bind(UnixDomainSocketAddress.of(socket));
      d.incoming = server;
      Thread t = new Thread(() -> {
        try (server; SocketChannel c = server.accept()) {
          ByteBuffer b = ByteBuffer.allocate(1 << 16);
          long total = 0;
          for (int n; (n = c.read(b)) >= 0; b.clear()) {
            total += n;
          }
          d.stateReceived = total;
          String fault = incomingFault;
          if ("hang".equals(fault)) {
            while (domains.containsKey(d.name)) {
              Thread.sleep(10);
            }
          } else if ("die".equals(fault)) {
            domains.remove(d.name);
          } else {
            d.status = d.autostart && savedRunning ? "running" : loadedStatus;
          }
        } catch (IOException | InterruptedException e) {
          // destroyed while listening
        }
      }, "fake-qemu-incoming");
      t.setDaemon(true);
      t.start();
    } catch (IOException e) {
      throw new HypervisorException("listen " + socket + ": " + e.getMessage(), e);
    }
  }

  private static String find(Pattern p, String s) {
    Matcher m = p.matcher(s);
    if (!m.find()) {
      throw new HypervisorException("XML without " + p);
    }
    return m.group(1);
  }
}

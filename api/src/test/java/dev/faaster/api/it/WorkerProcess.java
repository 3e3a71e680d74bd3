package dev.faaster.api.it;

import dev.faaster.api.Application;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A faaster worker in its own JVM ({@code faaster.roles=worker}), sharing a {@link Platform}'s
 * database (through H2's AUTO_SERVER), object store and Temporal. Configured through the
 * environment variables application.yml reads, as a deployment would be; fault-injection settings
 * go in as system properties. Its output goes to {@code <run dir>/logs/<name>.log}.
 */
final class WorkerProcess implements AutoCloseable {

  static final Duration START_TIMEOUT = Duration.ofSeconds(90);

  private final String name;
  private final Process process;
  private final Path log;
  private final int httpPort;
  /** Kills the child if the test JVM exits without closing it (failsafe's fork timeout, Ctrl-C). */
  private final Thread orphanGuard;

  private WorkerProcess(String name, Process process, Path log, int httpPort) {
    this.name = name;
    this.process = process;
    this.log = log;
    this.httpPort = httpPort;
    this.orphanGuard = new Thread(process::destroyForcibly, "kill-" + name);
    Runtime.getRuntime().addShutdownHook(orphanGuard);
  }

  /**
   * Starts the JVM and waits until it reports healthy (its worker then polls the control queue).
   *
   * @param systemProperties extra -D settings, e.g. faaster.fault-injection.*
   */
  static WorkerProcess start(Platform platform, String name, Map<String, String> systemProperties) {
    return start(platform, name, "worker", systemProperties);
  }

  /** As {@link #start(Platform, String, Map)} with {@code roles} (e.g. "worker,node": a node agent too). */
  static WorkerProcess start(Platform platform, String name, String roles, Map<String, String> systemProperties) {
    Path dataDir = platform.root().resolve(name);
    Path log = platform.root().resolve("logs").resolve(name + ".log");
    int httpPort = freePort();
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx384m");
    command.add("-XX:TieredStopAtLevel=1");
    command.add("-Duser.timezone=UTC");
    // Only the operator's configuration counts: no "test" environment, no cloud probing.
    command.add("-Dmicronaut.env.deduction=false");
    systemProperties.forEach((key, value) -> command.add("-D" + key + "=" + value));
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(Application.class.getName());

    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    Map<String, String> env = builder.environment();
    env.keySet().removeIf(key -> key.startsWith("FAASTER_") || key.startsWith("TEMPORAL_") || key.startsWith("MICRONAUT_"));
    env.put("FAASTER_ROLES", roles);
    env.put("FAASTER_API_HOST", "127.0.0.1");
    env.put("FAASTER_API_PORT", String.valueOf(httpPort));
    env.put("FAASTER_DATA_DIR", dataDir.toString());
    env.put("FAASTER_DB_URL", platform.databaseUrl());
    env.put("FAASTER_DB_USER", "sa");
    env.put("FAASTER_DB_PASSWORD", "");
    env.put("FAASTER_DB_DRIVER", "org.h2.Driver");
    env.put("FAASTER_DB_DIALECT", "H2");
    env.put("FAASTER_S3_ENDPOINT", platform.objectStoreEndpoint().toString());
    env.put("FAASTER_S3_REGION", Platform.REGION);
    env.put("FAASTER_S3_BUCKET", Platform.BUCKET);
    env.put("FAASTER_S3_ACCESS_KEY", Platform.ACCESS_KEY);
    env.put("FAASTER_S3_SECRET_KEY", Platform.SECRET_KEY);
    env.put("TEMPORAL_ADDRESS", platform.temporalAddress());
    env.put("TEMPORAL_NAMESPACE", Platform.NAMESPACE);
    try {
      Files.createDirectories(dataDir);
      Files.createDirectories(log.getParent());
      builder.redirectOutput(log.toFile());
      WorkerProcess worker = new WorkerProcess(name, builder.start(), log, httpPort);
      try {
        worker.awaitHealthy();
      } catch (RuntimeException | AssertionError e) {
        worker.close();
        throw e;
      }
      return worker;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start worker process " + name + ": " + e.getMessage(), e);
    }
  }

  /** Its HTTP server (health, and a node's data plane), on loopback. */
  URI uri() {
    return URI.create("http://127.0.0.1:" + httpPort);
  }

  private void awaitHealthy() {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    HttpRequest health =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/health")).timeout(Duration.ofSeconds(5)).build();
    Poll.until(
        name + " (pid " + process.pid() + ") to answer GET /health with 200",
        START_TIMEOUT,
        () -> {
          if (!process.isAlive()) {
            throw new AssertionError(name + " exited with " + process.exitValue() + " during startup\n" + logTail());
          }
          HttpResponse<String> response = http.send(health, HttpResponse.BodyHandlers.ofString());
          return response.statusCode() == 200 ? Optional.of(response) : Optional.empty();
        },
        this::logTail);
  }

  /** The identity its Temporal client reports (TemporalClientFactory: "faaster@" + pid). */
  String identity() {
    return "faaster@" + process.pid();
  }

  long pid() {
    return process.pid();
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /** SIGKILL: no shutdown hook, no worker shutdown, the activity in hand is simply lost. */
  void kill() {
    process.destroyForcibly();
    try {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        throw new AssertionError(name + " (pid " + process.pid() + ") is still alive 30 s after SIGKILL");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while killing " + name, e);
    }
  }

  /** The last lines of its output, for failure messages. */
  String logTail() {
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      return "last lines of " + log + ":\n" + String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    } catch (IOException e) {
      return "(cannot read " + log + ": " + e.getMessage() + ")";
    }
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    try {
      Runtime.getRuntime().removeShutdownHook(orphanGuard);
    } catch (IllegalStateException shuttingDown) {
      // The hook is running or about to: it kills the process anyway.
    }
    if (process.isAlive()) {
      kill();
    }
  }

  @Override
  public String toString() {
    return name + " (pid " + process.pid() + ")";
  }
}

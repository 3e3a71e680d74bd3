package dev.faaster.zonecache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.micronaut.context.ApplicationContext;
import io.micronaut.context.env.Environment;
import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The zone cache as {@code ./faaster up} runs it: a process of its own started by
 * infra/scripts/zone-cache.sh, sharing the registry with another process through an H2 file
 * opened with AUTO_SERVER=TRUE (this JVM plays the api: it opens the file first, migrates it and
 * writes the rows that make a tenant own a package), with an S3 origin. It serves the package to
 * its owner, refuses it to another tenant, and stops with the script.
 */
class ZoneCacheLaunchIT {

  static final String TOKEN = "launch-node-token";
  final Path root = Path.of("target", "zone-cache-test", "launch-" + UUID.randomUUID()).toAbsolutePath();

  TestOrigin origin;
  ApplicationContext registryOwner;
  Path script;
  Path pidFile;
  Path log;

  @BeforeEach
  void setUp() {
    assumeTrue(onPath("curl"), "infra/scripts/zone-cache.sh needs curl on the PATH");
    script = repoRoot().resolve("infra/scripts/zone-cache.sh");
    pidFile = root.resolve("zone-cache.pid");
    log = root.resolve("zone-cache.log");
  }

  /** The origin, and the registry opened (first) and migrated by this JVM, as the api does. */
  void startOriginAndRegistry() {
    origin = new TestOrigin(root.resolve("origin"));
    Map<String, Object> properties = new HashMap<>(origin.properties());
    properties.put("datasources.default.url", databaseUrl());
    properties.put("faaster.zone-cache.directory", root.resolve("unused").toString());
    // The test overlay migrates the registry with Flyway.
    registryOwner = ApplicationContext.run(properties, Environment.TEST);
  }

  @AfterEach
  void tearDown() throws Exception {
    if (script != null && pidFile != null) {
      run(List.of("bash", script.toString(), "stop", "--pid-file", pidFile.toString()), Map.of());
    }
    if (registryOwner != null) {
      registryOwner.close();
    }
    if (origin != null) {
      origin.close();
    }
  }

  @Test
  void theStartedProcessServesAPackageToItsOwnerFromTheSharedRegistry() throws Exception {
    startOriginAndRegistry();
    RegistryRows rows = new RegistryRows(registryOwner);
    String owner = rows.tenant("owner");
    String stranger = rows.tenant("stranger");
    byte[] bytes = origin.randomBytes(300_000);
    String sha256 = origin.put(bytes);
    rows.published(owner, sha256);
    int port = freePort();

    Result started = run(startCommand(port), environment());

    assertThat(started.exitCode()).as("zone-cache.sh start: %s\n%s", started.output(), tail(log)).isZero();
    assertThat(started.output().strip()).endsWith("http://127.0.0.1:" + port);

    HttpClient http = HttpClient.newHttpClient();
    HttpResponse<byte[]> first = http.send(get(port, sha256, owner), HttpResponse.BodyHandlers.ofByteArray());
    HttpResponse<byte[]> second = http.send(get(port, sha256, owner), HttpResponse.BodyHandlers.ofByteArray());
    HttpResponse<byte[]> refused = http.send(get(port, sha256, stranger), HttpResponse.BodyHandlers.ofByteArray());

    assertThat(first.statusCode()).isEqualTo(200);
    assertThat(first.body()).isEqualTo(bytes);
    assertThat(first.headers().firstValue("X-Faaster-Cache")).hasValue("miss");
    assertThat(second.statusCode()).isEqualTo(200);
    assertThat(second.headers().firstValue("X-Faaster-Cache")).hasValue("hit");
    assertThat(refused.statusCode()).isEqualTo(403);
    assertThat(new String(refused.body(), StandardCharsets.UTF_8)).contains("NOT_OWNED");

    Result stopped = run(List.of("bash", script.toString(), "stop", "--pid-file", pidFile.toString()), Map.of());

    assertThat(stopped.exitCode()).isZero();
    assertThat(stillListeningAfter(port, Duration.ofSeconds(5)))
        .as("something listens on the zone cache's port 5 s after stop").isFalse();
    assertThat(pidFile).doesNotExist();
  }

  @Test
  void startFailsAndSaysWhyWithoutANodeToken() throws Exception {
    Map<String, String> environment = environment();
    environment.remove("FAASTER_ZONE_CACHE_NODE_TOKEN");

    Result started = run(startCommand(freePort()), environment);

    assertThat(started.exitCode()).isNotZero();
    assertThat(started.output()).contains("FAASTER_ZONE_CACHE_NODE_TOKEN");
    assertThat(pidFile).doesNotExist();
  }

  // ---------------------------------------------------------------------------------------------

  /** The H2 file both processes open; the first one (this JVM) serves it to the other on loopback. */
  String databaseUrl() {
    return "jdbc:h2:file:" + root.resolve("h2/registry") + ";MODE=MySQL;DATABASE_TO_LOWER=TRUE;AUTO_SERVER=TRUE";
  }

  List<String> startCommand(int port) throws IOException {
    // The module's classes and runtime libraries, without the tests' classes and resources.
    Path classes = Path.of("target", "classes").toAbsolutePath();
    String testClasspath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    String libraries =
        Arrays.stream(testClasspath.split(File.pathSeparator))
            .filter(entry -> !entry.isBlank())
            .filter(entry -> !Path.of(entry).toAbsolutePath().equals(classes))
            .filter(entry -> !entry.endsWith("test-classes") && !entry.endsWith("test-classes/"))
            .collect(Collectors.joining(File.pathSeparator));
    Files.createDirectories(root);
    Path classpath = Files.writeString(root.resolve("classpath.txt"), libraries);
    return List.of(
        "bash", script.toString(), "start",
        "--classpath", classpath.toString(),
        "--classes", classes.toString(),
        "--port", String.valueOf(port),
        "--dir", root.resolve("l2").toString(),
        "--log", log.toString(),
        "--pid-file", pidFile.toString());
  }

  Map<String, String> environment() {
    Map<String, String> environment = new HashMap<>();
    environment.put("FAASTER_ZONE_CACHE_NODE_TOKEN", TOKEN);
    environment.put("FAASTER_S3_ENDPOINT", origin == null ? "http://127.0.0.1:1" : origin.endpoint().toString());
    environment.put("FAASTER_S3_BUCKET", TestOrigin.BUCKET);
    environment.put("FAASTER_S3_ACCESS_KEY", TestOrigin.ACCESS_KEY);
    environment.put("FAASTER_S3_SECRET_KEY", TestOrigin.SECRET_KEY);
    environment.put("FAASTER_DB_URL", databaseUrl());
    environment.put("FAASTER_ZONE_CACHE_START_TIMEOUT", "90");
    return environment;
  }

  static HttpRequest get(int port, String sha256, String tenant) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/packages/" + sha256))
        .header("Authorization", "Bearer " + TOKEN)
        .header("X-Faaster-Tenant", tenant)
        .build();
  }

  record Result(int exitCode, String output) {}

  /** Runs a command with these variables on top of this JVM's environment; stdout and stderr together. */
  static Result run(List<String> command, Map<String, String> environment) throws IOException, InterruptedException {
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().keySet().removeIf(name -> name.startsWith("FAASTER_"));
    builder.environment().putAll(environment);
    Process process = builder.start();
    process.getOutputStream().close();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!process.waitFor(2, TimeUnit.MINUTES)) {
      process.destroyForcibly();
      throw new IllegalStateException("timed out: " + command + "\n" + output);
    }
    return new Result(process.exitValue(), output);
  }

  static String tail(Path file) {
    try {
      List<String> lines = Files.readAllLines(file);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  /**
   * Whether the port still accepts connections after waiting up to {@code grace} for it to close.
   * The script returns once the process is gone; the kernel may still be tearing its sockets down.
   */
  static boolean stillListeningAfter(int port, Duration grace) throws InterruptedException {
    long deadline = System.nanoTime() + grace.toNanos();
    while (listening(port)) {
      if (System.nanoTime() > deadline) {
        return true;
      }
      Thread.sleep(100);
    }
    return false;
  }

  static boolean listening(int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 1000);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  static boolean onPath(String program) {
    return Arrays.stream(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
        .anyMatch(dir -> Files.isExecutable(Path.of(dir, program)));
  }

  static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  static Path repoRoot() {
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      if (Files.isRegularFile(dir.resolve("infra/scripts/zone-cache.sh"))) {
        return dir;
      }
    }
    throw new IllegalStateException("infra/scripts/zone-cache.sh not found above " + Path.of("").toAbsolutePath());
  }
}

package dev.faaster.zonecache.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.faaster.packagestore.PackageKeys;
import dev.faaster.zonecache.CountingPackageStore;
import dev.faaster.zonecache.RegistryRows;
import dev.faaster.zonecache.Reply;
import dev.faaster.zonecache.TestOrigin;
import dev.faaster.zonecache.ZoneCacheProcess;
import dev.faaster.zonecache.http.PackageController;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What survives a restart, what a restart repairs, and what the cache serves while the origin is down. */
class RestartAndRepairTest {

  static final Path ROOT = Path.of("target", "zone-cache-test", "restart-" + UUID.randomUUID());
  static TestOrigin origin;

  Path directory;
  Map<String, Object> properties;

  @BeforeAll
  static void startOrigin() {
    origin = new TestOrigin(ROOT.resolve("origin"));
  }

  @AfterAll
  static void stopOrigin() {
    origin.close();
  }

  @BeforeEach
  void freshDirectory() {
    directory = ROOT.resolve("l2-" + UUID.randomUUID());
    properties = new HashMap<>(origin.properties());
    properties.put("faaster.zone-cache.directory", directory.toString());
    properties.put("faaster.zone-cache.max-bytes", 64L << 20);
    properties.put("datasources.default.url", "jdbc:h2:mem:restart;MODE=MySQL;DATABASE_TO_LOWER=TRUE;DB_CLOSE_DELAY=-1");
  }

  @AfterEach
  void originBackUp() {
    if (!origin.running()) {
      origin.start();
    }
  }

  Path entry(String sha256) {
    return directory.resolve("packages").resolve(sha256 + ".zip");
  }

  static void flipByte(Path file, long offset) throws IOException {
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
      raf.seek(offset);
      int b = raf.read();
      raf.seek(offset);
      raf.write(b ^ 0x01);
    }
  }

  @Test
  void restartKeepsEntriesAndServesThemWithTheOriginDown() {
    byte[] bytes = origin.randomBytes(200_000);
    String sha256 = origin.put(bytes);
    String tenant;
    try (ZoneCacheProcess first = ZoneCacheProcess.start(properties)) {
      RegistryRows registry = new RegistryRows(first.context());
      tenant = registry.tenant("restart");
      registry.published(tenant, sha256);
      assertThat(first.client().get(tenant, sha256).status()).isEqualTo(200);
    }
    origin.stop();

    try (ZoneCacheProcess second = ZoneCacheProcess.start(properties)) {
      assertThat(second.bean(PackageCache.class).holds(sha256)).isTrue();
      Reply reply = second.client().get(tenant, sha256);

      assertThat(reply.status()).as("%s", reply).isEqualTo(200);
      assertThat(reply.body()).isEqualTo(bytes);
      assertThat(reply.header(PackageController.CACHE_HEADER)).isEqualTo("hit");
      assertThat(second.bean(CountingPackageStore.class).opens(PackageKeys.contentAddressed(sha256))).isZero();
    }
  }

  @Test
  void originDownWithAWarmCacheStillServesAndAColdDigestNamesTheOrigin() {
    byte[] warm = origin.randomBytes(10_000);
    String warmSha = origin.put(warm);
    String coldSha = origin.put(origin.randomBytes(10_000));
    try (ZoneCacheProcess zone = ZoneCacheProcess.start(properties)) {
      RegistryRows registry = new RegistryRows(zone.context());
      String tenant = registry.tenant("outage");
      registry.published(tenant, warmSha);
      registry.published(tenant, coldSha);
      assertThat(zone.client().warm(tenant, warmSha).status()).isEqualTo(204);

      origin.stop();
      Reply served = zone.client().get(tenant, warmSha);
      Reply cold = zone.client().get(tenant, coldSha);

      assertThat(served.status()).as("%s", served).isEqualTo(200);
      assertThat(served.body()).isEqualTo(warm);
      assertThat(cold.status()).as("%s", cold).isEqualTo(503);
      assertThat(cold.text()).contains("ORIGIN_UNAVAILABLE").contains("origin").contains(origin.endpoint().toString());
      assertThat(zone.bean(PackageCache.class).holds(coldSha)).isFalse();
    }
  }

  @Test
  void flippedByteInTheStoredEntryIsDetectedOnTheFirstReadAfterRestartAndRefetched() throws IOException {
    byte[] bytes = origin.randomBytes(300_000);
    String sha256 = origin.put(bytes);
    String tenant;
    try (ZoneCacheProcess first = ZoneCacheProcess.start(properties)) {
      RegistryRows registry = new RegistryRows(first.context());
      tenant = registry.tenant("bitrot");
      registry.published(tenant, sha256);
      assertThat(first.client().get(tenant, sha256).status()).isEqualTo(200);
    }
    flipByte(entry(sha256), 123_456);

    try (ZoneCacheProcess second = ZoneCacheProcess.start(properties)) {
      Reply reply = second.client().get(tenant, sha256);

      assertThat(reply.status()).as("%s", reply).isEqualTo(200);
      assertThat(reply.body()).as("never the corrupt copy").isEqualTo(bytes);
      assertThat(reply.header(PackageController.CACHE_HEADER)).isEqualTo("miss");
      assertThat(second.bean(CountingPackageStore.class).opens(PackageKeys.contentAddressed(sha256))).isEqualTo(1);
      assertThat(Files.readAllBytes(entry(sha256))).as("repaired on disk").isEqualTo(bytes);
      Reply metrics = second.client().send(io.micronaut.http.HttpRequest.GET("/prometheus"));
      assertThat(metrics.text()).contains("faaster_cache_corrupt_total{source=\"disk\",tier=\"l2\"} 1.0");
    }
  }

  @Test
  void flippedByteWhileRunningIsDetectedOnTheNextRead() throws Exception {
    byte[] bytes = origin.randomBytes(100_000);
    String sha256 = origin.put(bytes);
    try (ZoneCacheProcess zone = ZoneCacheProcess.start(properties)) {
      RegistryRows registry = new RegistryRows(zone.context());
      String tenant = registry.tenant("tamper");
      registry.published(tenant, sha256);
      assertThat(zone.client().get(tenant, sha256).status()).isEqualTo(200);
      java.nio.file.attribute.FileTime served = Files.getLastModifiedTime(entry(sha256));
      flipByte(entry(sha256), 99_999);
      // The write moves the modification time, unless the file system's granularity hides it.
      Files.setLastModifiedTime(entry(sha256), java.nio.file.attribute.FileTime.fromMillis(served.toMillis() + 1000));

      Reply reply = zone.client().get(tenant, sha256);

      assertThat(reply.body()).isEqualTo(bytes);
      assertThat(zone.bean(CountingPackageStore.class).opens(PackageKeys.contentAddressed(sha256))).isEqualTo(2);
    }
  }

  @Test
  void startDeletesUnfinishedDownloadsAndStrayFilesStayUnserved() throws IOException {
    Path tmp = Files.createDirectories(directory.resolve("tmp"));
    Files.createDirectories(directory.resolve("packages"));
    byte[] bytes = origin.randomBytes(1000);
    String sha256 = origin.put(bytes);
    // A process killed between write and rename: half a download in tmp/, no entry.
    Path partial = Files.write(tmp.resolve(sha256 + ".123.part"), java.util.Arrays.copyOf(bytes, 500));

    try (ZoneCacheProcess zone = ZoneCacheProcess.start(properties)) {
      assertThat(partial).doesNotExist();
      assertThat(zone.bean(PackageCache.class).holds(sha256)).isFalse();
      RegistryRows registry = new RegistryRows(zone.context());
      String tenant = registry.tenant("crash");
      registry.published(tenant, sha256);
      assertThat(zone.client().get(tenant, sha256).body()).isEqualTo(bytes);
    }
  }
}

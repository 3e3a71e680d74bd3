package dev.faaster.zonecache.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.faaster.packagestore.PackageKeys;
import dev.faaster.packagestore.Sha256;
import dev.faaster.registry.DeploymentStatus;
import dev.faaster.zonecache.CountingPackageStore;
import dev.faaster.zonecache.RegistryRows;
import dev.faaster.zonecache.Reply;
import dev.faaster.zonecache.TestOrigin;
import dev.faaster.zonecache.ZoneCacheClient;
import dev.faaster.zonecache.store.PackageCache;
import io.micronaut.context.ApplicationContext;
import io.micronaut.http.HttpHeaders;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.client.HttpClient;
import io.micronaut.http.client.annotation.Client;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import io.micronaut.test.support.TestPropertyProvider;
import jakarta.inject.Inject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The HTTP contract, as a node's L1 sees it, against a real S3 origin and an H2 registry. */
@MicronautTest(transactional = false)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PackageServingTest implements TestPropertyProvider {

  static final Path ROOT = Path.of("target", "zone-cache-test", "serving-" + UUID.randomUUID());

  @Inject @Client("/") HttpClient http;
  @Inject ApplicationContext context;
  @Inject CountingPackageStore originStore;
  @Inject PackageCache cache;

  TestOrigin origin;
  ZoneCacheClient zone;
  RegistryRows registry;
  String tenant;

  @Override
  public Map<String, String> getProperties() {
    origin = new TestOrigin(ROOT.resolve("origin"));
    Map<String, String> properties = new HashMap<>();
    origin.properties().forEach((key, value) -> properties.put(key, value.toString()));
    properties.put("faaster.zone-cache.directory", ROOT.resolve("l2").toString());
    properties.put("faaster.zone-cache.max-bytes", String.valueOf(64L << 20));
    properties.put("datasources.default.url", "jdbc:h2:mem:serving;MODE=MySQL;DATABASE_TO_LOWER=TRUE;DB_CLOSE_DELAY=-1");
    return properties;
  }

  @AfterAll
  void stopOrigin() {
    origin.close();
  }

  @BeforeEach
  void freshTenant() {
    zone = new ZoneCacheClient(http);
    registry = new RegistryRows(context);
    tenant = registry.tenant("acme");
  }

  /** A package at the origin, owned by the test's tenant. */
  String ownedPackage(int size) {
    String sha256 = origin.put(origin.randomBytes(size));
    registry.published(tenant, sha256);
    return sha256;
  }

  @Test
  void missFetchesFromTheOriginOnceThenServesFromDisk() {
    byte[] bytes = origin.randomBytes(300_000);
    String sha256 = origin.put(bytes);
    registry.published(tenant, sha256);

    Reply miss = zone.get(tenant, sha256);
    Reply hit = zone.get(tenant, sha256);

    assertThat(miss.status()).as("%s", miss).isEqualTo(200);
    assertThat(miss.body()).isEqualTo(bytes);
    assertThat(miss.header(PackageController.CACHE_HEADER)).isEqualTo("miss");
    assertThat(hit.status()).isEqualTo(200);
    assertThat(hit.body()).isEqualTo(bytes);
    assertThat(hit.header(PackageController.CACHE_HEADER)).isEqualTo("hit");
    assertThat(hit.header(HttpHeaders.CONTENT_LENGTH)).isEqualTo("300000");
    assertThat(hit.header(HttpHeaders.CONTENT_TYPE)).isEqualTo("application/zip");
    assertThat(hit.header(HttpHeaders.ETAG)).isEqualTo("\"" + sha256 + "\"");
    assertThat(hit.header(HttpHeaders.ACCEPT_RANGES)).isEqualTo("bytes");
    assertThat(originStore.opens(PackageKeys.contentAddressed(sha256))).isEqualTo(1);
    assertThat(Files.exists(ROOT.resolve("l2/packages/" + sha256 + ".zip"))).isTrue();
  }

  @Test
  void headAnswersTheSizeWithoutABody() {
    String sha256 = ownedPackage(12_345);

    Reply head = zone.head(tenant, sha256);

    assertThat(head.status()).as("%s", head).isEqualTo(200);
    assertThat(head.header(HttpHeaders.CONTENT_LENGTH)).isEqualTo("12345");
    assertThat(head.header(HttpHeaders.ETAG)).isEqualTo("\"" + sha256 + "\"");
    assertThat(head.body()).isEmpty();
  }

  @Test
  void rangeReturns206WithContentRange() {
    byte[] bytes = origin.randomBytes(1000);
    String sha256 = origin.put(bytes);
    registry.published(tenant, sha256);

    Reply middle = zone.get(tenant, sha256, HttpHeaders.RANGE, "bytes=100-199");
    Reply suffix = zone.get(tenant, sha256, HttpHeaders.RANGE, "bytes=-10");
    Reply openEnded = zone.get(tenant, sha256, HttpHeaders.RANGE, "bytes=990-");
    Reply pastTheEnd = zone.get(tenant, sha256, HttpHeaders.RANGE, "bytes=900-5000");
    Reply sameIfRange = zone.get(tenant, sha256, HttpHeaders.RANGE, "bytes=0-9", HttpHeaders.IF_RANGE, "\"" + sha256 + "\"");
    Reply otherIfRange = zone.get(tenant, sha256, HttpHeaders.RANGE, "bytes=0-9", HttpHeaders.IF_RANGE, "\"other\"");

    assertThat(middle.status()).as("%s", middle).isEqualTo(206);
    assertThat(middle.header(HttpHeaders.CONTENT_RANGE)).isEqualTo("bytes 100-199/1000");
    assertThat(middle.header(HttpHeaders.CONTENT_LENGTH)).isEqualTo("100");
    assertThat(middle.body()).isEqualTo(Arrays.copyOfRange(bytes, 100, 200));
    assertThat(suffix.header(HttpHeaders.CONTENT_RANGE)).isEqualTo("bytes 990-999/1000");
    assertThat(suffix.body()).isEqualTo(Arrays.copyOfRange(bytes, 990, 1000));
    assertThat(openEnded.body()).isEqualTo(Arrays.copyOfRange(bytes, 990, 1000));
    assertThat(pastTheEnd.header(HttpHeaders.CONTENT_RANGE)).isEqualTo("bytes 900-999/1000");
    assertThat(pastTheEnd.body()).isEqualTo(Arrays.copyOfRange(bytes, 900, 1000));
    assertThat(sameIfRange.status()).isEqualTo(206);
    assertThat(otherIfRange.status()).as("a validator that doesn't match: the whole package").isEqualTo(200);
    assertThat(otherIfRange.body()).isEqualTo(bytes);
  }

  @Test
  void rangeStartingPastTheEndReturns416() {
    String sha256 = ownedPackage(1000);

    Reply reply = zone.get(tenant, sha256, HttpHeaders.RANGE, "bytes=1000-");

    assertThat(reply.status()).as("%s", reply).isEqualTo(416);
    assertThat(reply.header(HttpHeaders.CONTENT_RANGE)).isEqualTo("bytes */1000");
    assertThat(reply.text()).contains("RANGE_NOT_SATISFIABLE");
  }

  @Test
  void matchingIfNoneMatchReturns304() {
    String sha256 = ownedPackage(1000);

    Reply reply = zone.get(tenant, sha256, HttpHeaders.IF_NONE_MATCH, "\"" + sha256 + "\"");

    assertThat(reply.status()).as("%s", reply).isEqualTo(304);
    assertThat(reply.body()).isEmpty();
  }

  @Test
  void crossTenantFetchReturns403() {
    String sha256 = ownedPackage(1000); // tenant A's
    String other = registry.tenant("other");

    Reply get = zone.get(other, sha256);
    Reply head = zone.head(other, sha256);
    Reply warm = zone.warm(other, sha256);

    assertThat(get.status()).as("%s", get).isEqualTo(403);
    assertThat(get.text()).contains("NOT_OWNED").contains(other);
    assertThat(head.status()).isEqualTo(403);
    assertThat(warm.status()).as("%s", warm).isEqualTo(403);
    assertThat(originStore.opens(PackageKeys.contentAddressed(sha256))).as("refused before any fetch").isZero();
  }

  @Test
  void digestNoTenantOwnsReturns403() {
    String sha256 = origin.put(origin.randomBytes(100));

    Reply reply = zone.get(tenant, sha256);

    assertThat(reply.status()).as("%s", reply).isEqualTo(403);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "Bearer wrong-token", "Bearer test-node-token-but-longer", "Basic dGVzdDp0ZXN0"})
  void missingOrBadNodeTokenReturns401(String authorization) {
    String sha256 = ownedPackage(100);

    Reply reply = zone.get(tenant, sha256, HttpHeaders.AUTHORIZATION, authorization.isEmpty() ? null : authorization);

    assertThat(reply.status()).as("%s", reply).isEqualTo(401);
    assertThat(reply.header(HttpHeaders.WWW_AUTHENTICATE)).startsWith("Bearer");
    assertThat(reply.text()).contains("UNAUTHENTICATED");
  }

  @Test
  void requestWithoutTenantReturns400() {
    String sha256 = ownedPackage(100);

    Reply reply = zone.get(null, sha256);

    assertThat(reply.status()).as("%s", reply).isEqualTo(400);
    assertThat(reply.text()).contains("TENANT_REQUIRED");
  }

  @Test
  void malformedDigestReturns400() {
    Reply reply = zone.get(tenant, "ABC");

    assertThat(reply.status()).as("%s", reply).isEqualTo(400);
    assertThat(reply.text()).contains("INVALID_DIGEST");
  }

  @Test
  void ownedDigestMissingAtTheOriginReturns404() {
    String sha256 = Sha256.hex(origin.randomBytes(10)); // never uploaded
    registry.published(tenant, sha256);

    Reply reply = zone.get(tenant, sha256);

    assertThat(reply.status()).as("%s", reply).isEqualTo(404);
    assertThat(reply.text()).contains("NOT_AT_ORIGIN").contains("origin");
  }

  @Test
  void flippedByteAtTheOriginReturns502AndInstallsNothing() throws IOException {
    byte[] bytes = origin.randomBytes(50_000);
    String sha256 = Sha256.hex(bytes);
    byte[] corrupt = bytes.clone();
    corrupt[25_000] ^= 0x01;
    origin.putAt(sha256, corrupt);
    registry.published(tenant, sha256);

    Reply reply = zone.get(tenant, sha256);

    assertThat(reply.status()).as("%s", reply).isEqualTo(502);
    assertThat(reply.text()).contains("ORIGIN_DIGEST_MISMATCH").contains("origin").contains("corrupt");
    assertThat(cache.holds(sha256)).isFalse();
    assertThat(Files.exists(ROOT.resolve("l2/packages/" + sha256 + ".zip"))).isFalse();
    try (Stream<Path> temps = Files.list(ROOT.resolve("l2/tmp"))) {
      assertThat(temps.filter(p -> p.getFileName().toString().startsWith(sha256))).isEmpty();
    }
    // Repaired at the origin: the next request fetches again and serves.
    origin.putAt(sha256, bytes);
    Reply repaired = zone.get(tenant, sha256);
    assertThat(repaired.status()).isEqualTo(200);
    assertThat(repaired.body()).isEqualTo(bytes);
  }

  @Test
  void concurrentMissesOfOneDigestCauseOneOriginGet() throws Exception {
    byte[] bytes = origin.randomBytes(2 << 20);
    String sha256 = origin.put(bytes);
    registry.published(tenant, sha256);
    int requests = 16;
    ExecutorService nodes = Executors.newFixedThreadPool(requests);
    originStore.hold();
    try {
      List<Future<Reply>> replies = new ArrayList<>();
      for (int i = 0; i < requests; i++) {
        replies.add(nodes.submit(() -> zone.get(tenant, sha256)));
      }
      awaitWaitingBehindTheFill(requests - 1);
      originStore.release();
      int misses = 0;
      for (Future<Reply> future : replies) {
        Reply reply = future.get();
        assertThat(reply.status()).as("%s", reply).isEqualTo(200);
        assertThat(reply.body()).isEqualTo(bytes);
        misses += "miss".equals(reply.header(PackageController.CACHE_HEADER)) ? 1 : 0;
      }
      // On a loaded machine a straggler may arrive after the fill and hit; most must have waited.
      assertThat(misses).as("requests that waited for the origin").isGreaterThan(requests / 2);
    } finally {
      originStore.release();
      nodes.shutdownNow();
    }
    assertThat(originStore.opens(PackageKeys.contentAddressed(sha256))).isEqualTo(1);
  }

  /**
   * Waits (bounded) until {@code n} request threads wait in the cache behind the one held fetch.
   * Thread stacks are the only signal the server gives without a hook in production code.
   */
  private static void awaitWaitingBehindTheFill(int n) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline) {
      long waiting = Thread.getAllStackTraces().entrySet().stream()
          .filter(e -> e.getKey().getState() == Thread.State.WAITING)
          .filter(e -> Arrays.stream(e.getValue()).anyMatch(f ->
              f.getClassName().equals(PackageCache.class.getName()) && f.getMethodName().equals("await")))
          .count();
      if (waiting >= n) {
        return;
      }
      Thread.sleep(5);
    }
  }

  @Test
  void warmFillsTheCacheForAPendingDeployBeforeItsVersionExists() {
    byte[] bytes = origin.randomBytes(4096);
    String sha256 = origin.put(bytes);
    registry.deployment(tenant, sha256, DeploymentStatus.PENDING);

    Reply warm = zone.warm(tenant, sha256);
    Reply get = zone.get(tenant, sha256);

    assertThat(warm.status()).as("%s", warm).isEqualTo(204);
    assertThat(cache.holds(sha256)).isTrue();
    assertThat(get.header(PackageController.CACHE_HEADER)).isEqualTo("hit");
    assertThat(get.body()).isEqualTo(bytes);
    assertThat(originStore.opens(PackageKeys.contentAddressed(sha256))).isEqualTo(1);
  }

  @Test
  void warmForAFailedDeployReturns403() {
    String sha256 = origin.put(origin.randomBytes(100));
    registry.deployment(tenant, sha256, DeploymentStatus.FAILED);

    Reply warm = zone.warm(tenant, sha256);

    assertThat(warm.status()).as("%s", warm).isEqualTo(403);
  }

  @Test
  void warmWithoutTenantReturns400() {
    String sha256 = ownedPackage(100);

    Reply warm =
        zone.send(
            HttpRequest.POST("/v1/packages/" + sha256 + "/warm", Map.of("tenantId", " "))
                .bearerAuth(ZoneCacheClient.NODE_TOKEN));

    assertThat(warm.status()).as("%s", warm).isEqualTo(400);
    assertThat(warm.text()).contains("VALIDATION_FAILED");
  }

  @Test
  void prometheusReportsHitsMissesBytesAndOriginLatency() {
    String sha256 = ownedPackage(5000);
    zone.get(tenant, sha256);
    zone.get(tenant, sha256);

    Reply metrics = zone.send(HttpRequest.GET("/prometheus"));

    assertThat(metrics.status()).isEqualTo(200);
    assertThat(metrics.text())
        .contains("faaster_cache_hits_total{tier=\"l2\"}")
        .contains("faaster_cache_misses_total{tier=\"l2\"}")
        .contains("faaster_cache_served_bytes_total{tier=\"l2\"}")
        .contains("faaster_cache_origin_fetch_seconds_bucket{outcome=\"ok\",tier=\"l2\"")
        .contains("faaster_cache_stored_bytes{tier=\"l2\"}")
        .contains("faaster_cache_entries{tier=\"l2\"}");
  }

  @Test
  void healthIsUpWithoutAToken() {
    Reply health = zone.send(HttpRequest.GET("/health"));

    assertThat(health.status()).as("%s", health).isEqualTo(200);
    assertThat(health.text()).contains("\"status\":\"UP\"").contains("zoneCache");
  }
}

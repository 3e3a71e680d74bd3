package dev.faaster.zonecache.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.faaster.registry.DeploymentStatus;
import dev.faaster.zonecache.RegistryRows;
import dev.faaster.zonecache.Reply;
import dev.faaster.zonecache.TestOrigin;
import dev.faaster.zonecache.ZoneCacheProcess;
import io.micronaut.http.HttpRequest;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Eviction under the size bound in a running cache, with activity read from the registry. */
class EvictionTest {

  static final Path ROOT = Path.of("target", "zone-cache-test", "eviction-" + UUID.randomUUID());
  static TestOrigin origin;
  static ZoneCacheProcess zone;
  static RegistryRows registry;

  @BeforeAll
  static void start() {
    origin = new TestOrigin(ROOT.resolve("origin"));
    Map<String, Object> properties = new HashMap<>(origin.properties());
    properties.put("faaster.zone-cache.directory", ROOT.resolve("l2").toString());
    // Room for two 100 kB packages, not three.
    properties.put("faaster.zone-cache.max-bytes", 250_000);
    properties.put("faaster.zone-cache.eviction-grace", "0s");
    properties.put("datasources.default.url", "jdbc:h2:mem:eviction;MODE=MySQL;DATABASE_TO_LOWER=TRUE;DB_CLOSE_DELAY=-1");
    zone = ZoneCacheProcess.start(properties);
    registry = new RegistryRows(zone.context());
  }

  @AfterAll
  static void stop() {
    zone.close();
    origin.close();
  }

  @Test
  void evictionUnderTheSizeBoundRemovesInactiveVersionsFirst() {
    String tenant = registry.tenant("evict");
    String oldActive = published(tenant);
    String retired = published(tenant);
    PackageCache cache = zone.bean(PackageCache.class);
    fetch(tenant, oldActive);
    fetch(tenant, retired); // used after oldActive: plain LRU would keep it
    registry.retire(retired);

    String third = published(tenant);
    fetch(tenant, third);

    assertThat(cache.holds(retired)).as("inactive evicted first").isFalse();
    assertThat(cache.holds(oldActive)).isTrue();
    assertThat(cache.holds(third)).isTrue();
    assertThat(cache.storedBytes()).isEqualTo(200_000);

    String fourth = published(tenant);
    fetch(tenant, fourth);

    assertThat(cache.holds(oldActive)).as("then the least recently used active one").isFalse();
    assertThat(cache.holds(third)).isTrue();
    assertThat(cache.holds(fourth)).isTrue();
    String metrics = zone.client().send(HttpRequest.GET("/prometheus")).text();
    assertThat(metrics)
        .contains("faaster_cache_evictions_total{reason=\"inactive\",tier=\"l2\"} 1.0")
        .contains("faaster_cache_evictions_total{reason=\"least_recently_used\",tier=\"l2\"} 1.0")
        .contains("faaster_cache_evicted_bytes_total{tier=\"l2\"} 200000.0");
  }

  @Test
  void activeDigestsAreThoseOfVersionsAndPendingDeploys() {
    String tenant = registry.tenant("active");
    String version = UUID.randomUUID().toString().replace("-", "").repeat(2);
    String pending = UUID.randomUUID().toString().replace("-", "").repeat(2);
    String failed = UUID.randomUUID().toString().replace("-", "").repeat(2);
    String unknown = UUID.randomUUID().toString().replace("-", "").repeat(2);
    registry.published(tenant, version);
    registry.deployment(tenant, pending, DeploymentStatus.PENDING);
    registry.deployment(tenant, failed, DeploymentStatus.FAILED);

    PackageRegistry packages = zone.bean(PackageRegistry.class);

    assertThat(packages.active(List.of(version, pending, failed, unknown))).containsExactlyInAnyOrder(version, pending);
    assertThat(packages.active(List.of())).isEmpty();
    assertThat(packages.owns(tenant, pending)).isTrue();
    assertThat(packages.owns(tenant, failed)).isFalse();
    assertThat(packages.owns(registry.tenant("stranger"), version)).isFalse();
  }

  String published(String tenant) {
    String sha256 = origin.put(origin.randomBytes(100_000));
    registry.published(tenant, sha256);
    return sha256;
  }

  void fetch(String tenant, String sha256) {
    Reply reply = zone.client().get(tenant, sha256);
    assertThat(reply.status()).as("%s", reply).isEqualTo(200);
  }
}

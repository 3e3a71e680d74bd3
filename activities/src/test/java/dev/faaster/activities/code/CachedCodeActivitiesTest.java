package dev.faaster.activities.code;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.faaster.activities.RegistryAndStoreFixture;
import dev.faaster.codecache.ActivePackages;
import dev.faaster.codecache.L1Settings;
import dev.faaster.codecache.NodeCodeCache;
import dev.faaster.codecache.OriginTier;
import dev.faaster.packagestore.PackageKeys;
import dev.faaster.packagestore.PackageStore;
import dev.faaster.packagestore.Sha256;
import dev.faaster.vm.VmSettings;
import dev.faaster.workflows.code.CodeFailureTypes;
import dev.faaster.workflows.code.CodeOnNode;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import io.micronaut.test.support.TestPropertyProvider;
import io.temporal.failure.ApplicationFailure;
import jakarta.inject.Inject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** The code step over a real L1 on disk and a real S3 origin. */
@MicronautTest(environments = "test", transactional = false)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CachedCodeActivitiesTest implements TestPropertyProvider {

  @Inject PackageStore store;
  @TempDir Path l1;

  @Override
  public Map<String, String> getProperties() {
    return Map.of("faaster.object-store.endpoint", RegistryAndStoreFixture.endpoint());
  }

  private String storeOrigin(String content) throws Exception {
    byte[] zip = RegistryAndStoreFixture.zip("bootstrap", content);
    String sha = Sha256.hex(zip);
    Path file = Files.createTempFile("origin", ".zip");
    Files.write(file, zip);
    store.ensureBucket();
    store.putFile(PackageKeys.contentAddressed(sha), file, sha);
    return sha;
  }

  /** The node's cache over a fresh L1 with the origin as its only tier. */
  private NodeCodeCache openCache() throws Exception {
    return NodeCodeCache.open(L1Settings.defaults(l1), List.of(new OriginTier(store)), ActivePackages.NONE,
        new SimpleMeterRegistry(), Clock.systemUTC());
  }

  @Test
  void theFirstInstanceFetchesFromTheOriginTheNextHitsL1AndReadsTheSameFile() throws Exception {
    String sha = storeOrigin("echo code " + System.nanoTime());
    try (NodeCodeCache cache = openCache()) {
      CachedCodeActivities activities = new CachedCodeActivities(cache, VmSettings.defaults());

      CodeOnNode first = activities.ensureCodeOnNode("instance-1", "tenant-a", sha);
      CodeOnNode second = activities.ensureCodeOnNode("instance-2", "tenant-a", sha);

      assertThat(first.source()).isEqualTo("origin");
      assertThat(second.source()).isEqualTo(NodeCodeCache.L1);
      assertThat(second.path()).isEqualTo(first.path());
      assertThat(Sha256.hex(Files.readAllBytes(Path.of(first.path())))).isEqualTo(sha);
      activities.releaseCode("instance-1");
      activities.releaseCode("instance-1");
      assertThat(cache.stats().pinnedEntries()).isEqualTo(1);
    }
  }

  @Test
  void theCodeStepUnpacksThePackageOnlyOnANodeWhoseInstancesReadInPlace() throws Exception {
    String sha = storeOrigin("echo in place " + System.nanoTime());
    try (NodeCodeCache cache = openCache()) {
      Path tree = l1.resolve("trees").resolve(sha);
      new CachedCodeActivities(cache, VmSettings.defaults()).ensureCodeOnNode("instance-4", "tenant-a", sha);
      assertThat(tree).as("no code share on this node").doesNotExist();

      new CachedCodeActivities(cache, VmSettings.defaults().withShareDir(l1.resolve("shares")))
          .ensureCodeOnNode("instance-5", "tenant-a", sha);
      assertThat(tree.resolve("bootstrap")).isRegularFile();
    }
  }

  @Test
  void aPackageNoTierHoldsIsACodeUnavailableFailureNamingTheTiers() throws Exception {
    try (NodeCodeCache cache = openCache()) {
      CachedCodeActivities activities = new CachedCodeActivities(cache, VmSettings.defaults());
      assertThatThrownBy(() -> activities.ensureCodeOnNode("instance-3", "tenant-a", "0".repeat(64)))
          .isInstanceOfSatisfying(ApplicationFailure.class, f -> {
            assertThat(f.getType()).isEqualTo(CodeFailureTypes.CODE_UNAVAILABLE);
            assertThat(f.getOriginalMessage()).contains("origin");
          });
    }
  }
}

package dev.faaster.activities.gc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.faaster.activities.RegistryAndStoreFixture;
import dev.faaster.activities.deploy.DeployActivitiesImpl;
import dev.faaster.packagestore.PackageKeys;
import dev.faaster.packagestore.PackageStore;
import dev.faaster.packagestore.Sha256;
import dev.faaster.registry.DeploymentRepository;
import dev.faaster.registry.FunctionRepository;
import dev.faaster.registry.TenantRepository;
import dev.faaster.workflows.deploy.DeployRequest;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import io.micronaut.test.support.TestPropertyProvider;
import jakarta.inject.Inject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** The object store reconciler against a real S3 API and the registry. Time is driven. */
@MicronautTest(environments = "test")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PackageGarbageCollectorTest implements TestPropertyProvider {

  @Inject PackageGarbageCollector collector;
  @Inject DeployActivitiesImpl activities;
  @Inject PackageStore store;
  @Inject TenantRepository tenants;
  @Inject FunctionRepository functions;
  @Inject DeploymentRepository deployments;

  @Override
  public Map<String, String> getProperties() {
    return Map.of("faaster.object-store.endpoint", RegistryAndStoreFixture.endpoint(), "faaster.gc.grace", "PT1H");
  }

  @Test
  void deletesOrphansOlderThanTheGraceAndKeepsEverythingReferenced() throws Exception {
    DeployRequest published = RegistryAndStoreFixture.stagedDeploy(tenants, functions, deployments, store,
        RegistryAndStoreFixture.zip("bootstrap", "kept"));
    String packageKey = activities.storePackage(published).key();
    activities.recordVersion(published, packageKey);
    activities.markDeploySucceeded(published.deploymentId());

    byte[] orphan = RegistryAndStoreFixture.zip("bootstrap", "orphan " + System.nanoTime());
    String orphanSha = Sha256.hex(orphan);
    Path file = Files.createTempFile("orphan", ".zip");
    Files.write(file, orphan);
    String orphanStaging = PackageKeys.staging(published.tenantId(), "no-such-function", orphanSha);
    String orphanPackage = PackageKeys.contentAddressed(orphanSha);
    store.putFile(orphanStaging, file, orphanSha);
    store.putFile(orphanPackage, file, orphanSha);

    Instant now = Instant.now();
    collector.collect(now);
    assertThat(store.exists(orphanStaging)).as("within the grace period").isTrue();
    assertThat(store.exists(orphanPackage)).as("within the grace period").isTrue();

    int deleted = collector.collect(now.plus(Duration.ofHours(2)));
    assertThat(deleted).isGreaterThanOrEqualTo(2);
    assertThat(store.exists(orphanStaging)).isFalse();
    assertThat(store.exists(orphanPackage)).isFalse();
    assertThat(store.exists(packageKey)).as("a published version's package").isTrue();
    assertThat(store.exists(published.stagingKey())).as("the function's $LATEST").isTrue();
  }

  @Test
  void keysOfAnotherShapeAreNeverTakenForADigest() {
    assertThat(PackageGarbageCollector.digestOf("packages/sha256/not-a-digest.zip")).isNull();
    String digest = "a".repeat(64);
    assertThat(PackageGarbageCollector.digestOf("packages/sha256/" + digest + ".zip")).isEqualTo(digest);
  }
}

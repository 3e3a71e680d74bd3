package dev.faaster.activities.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.faaster.activities.RegistryAndStoreFixture;
import dev.faaster.packagestore.PackageKeys;
import dev.faaster.packagestore.PackageStore;
import dev.faaster.registry.DeploymentRepository;
import dev.faaster.registry.DeploymentStatus;
import dev.faaster.registry.FunctionRepository;
import dev.faaster.registry.FunctionVersion;
import dev.faaster.registry.FunctionVersionRepository;
import dev.faaster.registry.TenantRepository;
import dev.faaster.workflows.deploy.DeployFailureTypes;
import dev.faaster.workflows.deploy.DeployRequest;
import dev.faaster.workflows.deploy.StoredPackage;
import dev.faaster.workflows.deploy.VerifiedPackage;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import io.micronaut.test.support.TestPropertyProvider;
import io.temporal.failure.ApplicationFailure;
import jakarta.inject.Inject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** The deploy's side effects against a real S3 API (S3Proxy) and the registry on H2. */
@MicronautTest(environments = "test")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DeployActivitiesImplTest implements TestPropertyProvider {

  @Inject DeployActivitiesImpl activities;
  @Inject PackageStore store;
  @Inject TenantRepository tenants;
  @Inject FunctionRepository functions;
  @Inject DeploymentRepository deployments;
  @Inject FunctionVersionRepository versions;

  @Override
  public Map<String, String> getProperties() {
    return Map.of("faaster.object-store.endpoint", RegistryAndStoreFixture.endpoint());
  }

  private DeployRequest staged(String content) throws Exception {
    return RegistryAndStoreFixture.stagedDeploy(tenants, functions, deployments, store, RegistryAndStoreFixture.zip("bootstrap", content));
  }

  @Test
  void verifyRecomputesTheDigestOfTheStagedBytes() throws Exception {
    DeployRequest request = staged("echo ok");
    VerifiedPackage verified = activities.verifyPackage(request);
    assertThat(verified.sha256()).isEqualTo(request.sha256());
    assertThat(verified.sizeBytes()).isEqualTo(request.sizeBytes());
    assertThat(verified.entries()).isEqualTo(1);
    assertThat(verified.uncompressedBytes()).isEqualTo("echo ok".length());
  }

  @Test
  void verifyRefusesAStagedObjectWhoseBytesChanged() throws Exception {
    DeployRequest request = staged("original");
    Path tampered = Files.createTempFile("tampered", ".zip");
    Files.write(tampered, RegistryAndStoreFixture.zip("bootstrap", "tampered"));
    store.putFile(request.stagingKey(), tampered, request.sha256());

    assertThatThrownBy(() -> activities.verifyPackage(request))
        .isInstanceOfSatisfying(ApplicationFailure.class, failure -> {
          assertThat(failure.getType()).isEqualTo(DeployFailureTypes.DIGEST_MISMATCH);
          assertThat(failure.isNonRetryable()).isTrue();
        });
  }

  @Test
  void verifyReportsAMissingStagedObjectAsPermanent() throws Exception {
    DeployRequest request = staged("gone soon");
    store.delete(request.stagingKey());
    assertThatThrownBy(() -> activities.verifyPackage(request))
        .isInstanceOfSatisfying(ApplicationFailure.class, f -> assertThat(f.getType()).isEqualTo(DeployFailureTypes.PACKAGE_MISSING));
  }

  @Test
  void verifyRefusesAnUnsafeZipEvenIfTheDigestMatches() throws Exception {
    DeployRequest request =
        RegistryAndStoreFixture.stagedDeploy(tenants, functions, deployments, store, RegistryAndStoreFixture.zip("../escape", "x"));
    assertThatThrownBy(() -> activities.verifyPackage(request))
        .isInstanceOfSatisfying(ApplicationFailure.class, f -> {
          assertThat(f.getType()).isEqualTo(DeployFailureTypes.INVALID_PACKAGE);
          assertThat(f.getOriginalMessage()).contains("UNSAFE_PATH");
        });
  }

  @Test
  void storeIsContentAddressedAndIdempotent() throws Exception {
    DeployRequest request = staged("store me");
    StoredPackage first = activities.storePackage(request);
    StoredPackage second = activities.storePackage(request);
    assertThat(first.key()).isEqualTo(PackageKeys.contentAddressed(request.sha256()));
    assertThat(first.created()).isTrue();
    assertThat(second.created()).isFalse();
    assertThat(store.head(first.key())).hasValueSatisfying(o -> assertThat(o.sha256()).isEqualTo(request.sha256()));
  }

  @Test
  void storeRefusesStagedBytesThatChangedAfterVerification() throws Exception {
    DeployRequest request = staged("verified bytes");
    activities.verifyPackage(request);
    Path tampered = Files.createTempFile("tampered", ".zip");
    Files.write(tampered, RegistryAndStoreFixture.zip("bootstrap", "swapped bytes"));
    store.putFile(request.stagingKey(), tampered, request.sha256());

    assertThatThrownBy(() -> activities.storePackage(request))
        .isInstanceOfSatisfying(ApplicationFailure.class, f -> assertThat(f.getType()).isEqualTo(DeployFailureTypes.DIGEST_MISMATCH));
    assertThat(store.exists(PackageKeys.contentAddressed(request.sha256()))).isFalse();
  }

  @Test
  void recordVersionCopiesTheDeploymentSnapshotOnceEvenWhenRetried() throws Exception {
    DeployRequest request = staged("record me");
    String key = activities.storePackage(request).key();
    activities.recordVersion(request, key);
    activities.recordVersion(request, key);

    assertThat(versions.findByFunctionId(request.functionId())).singleElement().satisfies(v -> {
      assertThat(v.version()).isEqualTo(1);
      assertThat(v.packageKey()).isEqualTo(key);
      assertThat(v.environment()).isEqualTo("{\"A\":\"1\"}");
      assertThat(v.description()).isEqualTo("first");
      assertThat(v.deploymentId()).isEqualTo(request.deploymentId());
    });
  }

  @Test
  void recordVersionRefusesANumberAnotherDeploymentHolds() throws Exception {
    DeployRequest request = staged("conflict");
    FunctionVersion other = new FunctionVersion(java.util.UUID.randomUUID().toString(), request.tenantId(), request.functionId(),
        java.util.UUID.randomUUID().toString(), 1, request.sha256(), 1, "k", "provided", null, 128, 3, "{}", "{}", null,
        java.time.Instant.now());
    versions.save(other);
    assertThatThrownBy(() -> activities.recordVersion(request, "k"))
        .isInstanceOfSatisfying(ApplicationFailure.class, f -> assertThat(f.getType()).isEqualTo(DeployFailureTypes.VERSION_CONFLICT));
  }

  @Test
  void compensationDeletesAnObjectOnlyThisDeployUsed() throws Exception {
    DeployRequest request = staged("compensate");
    String key = activities.storePackage(request).key();
    activities.markDeployFailed(request.deploymentId(), "VersionConflict: test");
    activities.deletePackageIfUnreferenced(request.sha256(), request.deploymentId());
    assertThat(store.exists(key)).isFalse();
    // Tolerates the object never having been written (or being deleted twice).
    activities.deletePackageIfUnreferenced(request.sha256(), request.deploymentId());
  }

  @Test
  void compensationKeepsAnObjectAnotherVersionUses() throws Exception {
    DeployRequest first = staged("shared bytes");
    String key = activities.storePackage(first).key();
    activities.recordVersion(first, key);
    activities.markDeploySucceeded(first.deploymentId());

    DeployRequest second = staged("shared bytes");
    assertThat(second.sha256()).isEqualTo(first.sha256());
    activities.markDeployFailed(second.deploymentId(), "failed later");
    activities.deletePackageIfUnreferenced(second.sha256(), second.deploymentId());
    assertThat(store.exists(key)).isTrue();
  }

  @Test
  void aDeploymentLeavesPendingOnlyOnceAndKeepsItsReason() throws Exception {
    DeployRequest request = staged("mark me");
    activities.markDeployFailed(request.deploymentId(), "x".repeat(5000));
    activities.markDeploySucceeded(request.deploymentId());
    var deployment = deployments.findById(request.deploymentId()).orElseThrow();
    assertThat(deployment.status()).isEqualTo(DeploymentStatus.FAILED);
    assertThat(deployment.failureReason()).hasSize(DeployActivitiesImpl.MAX_REASON_LENGTH).endsWith("...");
  }

  @Test
  void removeVersionUndoesRecordVersion() throws Exception {
    DeployRequest request = staged("undo me");
    String key = activities.storePackage(request).key();
    activities.recordVersion(request, key);
    activities.removeVersion(request.deploymentId());
    assertThat(versions.findByDeploymentId(request.deploymentId())).isEmpty();
    activities.removeVersion(request.deploymentId());
  }
}

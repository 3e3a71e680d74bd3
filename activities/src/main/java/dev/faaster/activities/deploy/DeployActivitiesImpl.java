package dev.faaster.activities.deploy;

import dev.faaster.activities.ActivityLogContext;
import dev.faaster.activities.FaultInjection;
import dev.faaster.activities.code.ZoneCacheWarmer;
import dev.faaster.packagestore.InvalidPackageException;
import dev.faaster.packagestore.PackageFiles;
import dev.faaster.packagestore.PackageInspector;
import dev.faaster.packagestore.PackageKeys;
import dev.faaster.packagestore.PackageStore;
import dev.faaster.packagestore.PackageSummary;
import dev.faaster.packagestore.StoredObject;
import dev.faaster.registry.Deployment;
import dev.faaster.registry.DeploymentRepository;
import dev.faaster.registry.DeploymentStatus;
import dev.faaster.registry.FunctionVersion;
import dev.faaster.registry.FunctionVersionRepository;
import dev.faaster.workflows.deploy.DeployActivities;
import dev.faaster.workflows.deploy.DeployFailureTypes;
import dev.faaster.workflows.deploy.DeployRequest;
import dev.faaster.workflows.deploy.StoredPackage;
import dev.faaster.workflows.deploy.VerifiedPackage;
import io.micrometer.core.instrument.MeterRegistry;
import io.micronaut.context.annotation.Value;
import io.temporal.failure.ApplicationFailure;
import jakarta.inject.Singleton;
import jakarta.transaction.Transactional;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Deploy steps against the origin store and the registry database. */
@Singleton
public class DeployActivitiesImpl implements DeployActivities {

  private static final Logger log = LoggerFactory.getLogger(DeployActivitiesImpl.class);
  static final int MAX_REASON_LENGTH = 1024;

  private final PackageStore store;
  private final PackageInspector inspector;
  private final DeploymentRepository deployments;
  private final FunctionVersionRepository versions;
  private final MeterRegistry meters;
  private final FaultInjection faults;
  private final ZoneCacheWarmer zoneCache;
  private final Path scratch;
  private final Clock clock;

  public DeployActivitiesImpl(
      PackageStore store,
      PackageInspector inspector,
      DeploymentRepository deployments,
      FunctionVersionRepository versions,
      MeterRegistry meters,
      FaultInjection faults,
      ZoneCacheWarmer zoneCache,
      @Value("${faaster.data-dir:.data}") String dataDir,
      Clock clock) {
    this.store = store;
    this.inspector = inspector;
    this.deployments = deployments;
    this.versions = versions;
    this.meters = meters;
    this.faults = faults;
    this.zoneCache = zoneCache;
    this.scratch = Path.of(dataDir, "tmp");
    this.clock = clock;
  }

  @Override
  public VerifiedPackage verifyPackage(DeployRequest request) {
    try (var ignored = context(request)) {
      Path copy = null;
      try {
        copy = PackageFiles.newScratchFile(scratch, "verify-");
        PackageFiles.Written written = download(request.stagingKey(), copy);
        String digest = written.sha256();
        long size = written.sizeBytes();
        if (!digest.equals(request.sha256()) || size != request.sizeBytes()) {
          throw ApplicationFailure.newNonRetryableFailure(
              "The staged package hashes to " + digest + " (" + size + " bytes), not to the uploaded "
                  + request.sha256() + " (" + request.sizeBytes() + " bytes).",
              DeployFailureTypes.DIGEST_MISMATCH);
        }
        PackageSummary summary = inspector.inspect(copy);
        log.info("verified package {} ({} entries, {} bytes unzipped)", digest, summary.entries(), summary.uncompressedBytes());
        return new VerifiedPackage(digest, size, summary.entries(), summary.uncompressedBytes());
      } catch (InvalidPackageException e) {
        throw ApplicationFailure.newNonRetryableFailure(
            e.problem() + ": " + e.getMessage(), DeployFailureTypes.INVALID_PACKAGE);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot verify the staged package: " + e.getMessage(), e);
      } finally {
        PackageFiles.deleteQuietly(copy);
      }
    }
  }

  /** Streams the object to a file, hashing on the way. */
  private PackageFiles.Written download(String key, Path target) throws IOException, InvalidPackageException {
    Optional<InputStream> object = store.open(key);
    if (object.isEmpty()) {
      throw ApplicationFailure.newNonRetryableFailure(
          "The staged package " + key + " is gone; upload the code again and republish.",
          DeployFailureTypes.PACKAGE_MISSING);
    }
    try (InputStream in = object.get()) {
      return PackageFiles.write(in, target, Long.MAX_VALUE);
    }
  }

  @Override
  public StoredPackage storePackage(DeployRequest request) {
    try (var ignored = context(request)) {
      String key = PackageKeys.contentAddressed(request.sha256());
      Optional<StoredObject> existing = store.head(key);
      if (existing.isPresent() && request.sha256().equals(existing.get().sha256())) {
        log.info("package {} already stored", key);
        return new StoredPackage(key, false);
      }
      // Upload the bytes this call hashed, not a server-side copy: the staged object could have
      // changed since verification, and only verified content may get a content address.
      Path copy = null;
      try {
        copy = PackageFiles.newScratchFile(scratch, "store-");
        PackageFiles.Written written = download(request.stagingKey(), copy);
        if (!written.sha256().equals(request.sha256())) {
          throw ApplicationFailure.newNonRetryableFailure(
              "The staged package changed after verification (now " + written.sha256() + ").",
              DeployFailureTypes.DIGEST_MISMATCH);
        }
        store.putFile(key, copy, request.sha256());
      } catch (IOException e) {
        throw new UncheckedIOException("cannot store the package: " + e.getMessage(), e);
      } catch (InvalidPackageException unbounded) {
        throw new IllegalStateException("an unbounded download can't exceed its limit", unbounded);
      } finally {
        PackageFiles.deleteQuietly(copy);
      }
      log.info("stored package {}", key);
      return new StoredPackage(key, true);
    }
  }

  @Override
  @Transactional
  public void recordVersion(DeployRequest request, String packageKey) {
    try (var ignored = context(request)) {
      faults.pauseBeforeRecordVersion();
      if (versions.findByDeploymentId(request.deploymentId()).isPresent()) {
        log.info("version {} already recorded", request.version());
        return;
      }
      Deployment deployment =
          deployments
              .findById(request.deploymentId())
              .orElseThrow(
                  () ->
                      ApplicationFailure.newNonRetryableFailure(
                          "The deployment " + request.deploymentId() + " no longer exists (was the function deleted?).",
                          DeployFailureTypes.DEPLOYMENT_NOT_FOUND));
      if (versions.existsByFunctionIdAndVersion(deployment.functionId(), deployment.version())) {
        throw ApplicationFailure.newNonRetryableFailure(
            "Version " + deployment.version() + " of " + deployment.functionName() + " belongs to another deployment.",
            DeployFailureTypes.VERSION_CONFLICT);
      }
      versions.save(
          new FunctionVersion(
              UUID.randomUUID().toString(),
              deployment.tenantId(),
              deployment.functionId(),
              deployment.id(),
              deployment.version(),
              deployment.codeSha256(),
              deployment.codeSizeBytes(),
              packageKey,
              deployment.runtime(),
              deployment.handler(),
              deployment.memoryMb(),
              deployment.timeoutSeconds(),
              deployment.environment(),
              deployment.vpcConfig(),
              deployment.description(),
              clock.instant()));
      log.info("recorded version {}", deployment.version());
    }
  }

  @Override
  public boolean warmZoneCache(DeployRequest request, String packageKey) {
    try (var ignored = context(request)) {
      boolean warmed = zoneCache.warm(request.tenantId(), request.sha256());
      log.info(warmed ? "zone cache holds {}" : "no zone cache configured; {} is served from the origin", request.sha256());
      return warmed;
    } catch (IOException e) {
      throw new UncheckedIOException("zone cache warm-up of " + request.sha256() + " failed: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  @Override
  public void markDeploySucceeded(String deploymentId) {
    finish(deploymentId, DeploymentStatus.SUCCEEDED, null);
  }

  @Override
  public void markDeployFailed(String deploymentId, String reason) {
    String bounded = reason == null ? "unknown" : reason;
    if (bounded.length() > MAX_REASON_LENGTH) {
      bounded = bounded.substring(0, MAX_REASON_LENGTH - 3) + "...";
    }
    finish(deploymentId, DeploymentStatus.FAILED, bounded);
  }

  private void finish(String deploymentId, DeploymentStatus status, String reason) {
    Optional<Deployment> deployment = deployments.findById(deploymentId);
    if (deployment.isEmpty()) {
      log.warn("deployment {} is gone; nothing to mark {}", deploymentId, status);
      return;
    }
    Deployment d = deployment.get();
    try (var ignored = ActivityLogContext.open(d.tenantId(), d.functionName(), d.version())) {
      long changed = deployments.finish(deploymentId, status, reason, clock.instant());
      if (changed == 1) {
        meters
            .counter("faaster.deploys", "tenant", d.tenantId(), "function", d.functionName(), "outcome", status.name().toLowerCase())
            .increment();
        meters
            .timer("faaster.deploy.duration", "tenant", d.tenantId(), "function", d.functionName(), "outcome", status.name().toLowerCase())
            .record(java.time.Duration.between(d.createdAt(), clock.instant()));
        log.info("deployment {} {}{}", deploymentId, status, reason == null ? "" : ": " + reason);
      }
    }
  }

  @Override
  public void deletePackageIfUnreferenced(String sha256, String deploymentId) {
    if (versions.existsByCodeSha256AndDeploymentIdNotEqual(sha256, deploymentId)
        || deployments.existsByCodeSha256AndStatusNotEqualAndIdNotEqual(sha256, DeploymentStatus.FAILED, deploymentId)) {
      log.info("package {} is still used by another version or deploy; kept", sha256);
      return;
    }
    store.delete(PackageKeys.contentAddressed(sha256));
    log.info("deleted package {} (compensation of deployment {})", sha256, deploymentId);
  }

  @Override
  public void removeVersion(String deploymentId) {
    long removed = versions.deleteByDeploymentId(deploymentId);
    log.info("removed {} version record(s) of deployment {}", removed, deploymentId);
  }

  private static ActivityLogContext context(DeployRequest request) {
    return ActivityLogContext.open(request.tenantId(), request.functionName(), request.version());
  }

}

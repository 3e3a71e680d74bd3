package dev.faaster.activities.gc;

import dev.faaster.packagestore.ObjectSummary;
import dev.faaster.packagestore.OrphanPolicy;
import dev.faaster.packagestore.PackageKeys;
import dev.faaster.packagestore.PackageStore;
import dev.faaster.registry.DeploymentRepository;
import dev.faaster.registry.DeploymentStatus;
import dev.faaster.registry.FunctionRepository;
import dev.faaster.registry.FunctionVersionRepository;
import io.micrometer.core.instrument.MeterRegistry;
import io.micronaut.context.annotation.Requires;
import io.micronaut.context.annotation.Value;
import io.micronaut.scheduling.annotation.Scheduled;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The reconciler of the object store: deletes packages no row refers to. Compensation undoes a
 * failed deploy; this catches what a crash leaves between an object write and its row (an upload
 * killed after its S3 put, a function deleted just before its objects).
 */
@Singleton
@Requires(property = "faaster.roles", pattern = "(.*,)?\\s*worker\\s*(,.*)?")
public class PackageGarbageCollector {

  private static final Logger log = LoggerFactory.getLogger(PackageGarbageCollector.class);
  static final String STAGING_PREFIX = "staging/";
  static final String PACKAGES_PREFIX = "packages/sha256/";

  private final PackageStore store;
  private final FunctionRepository functions;
  private final FunctionVersionRepository versions;
  private final DeploymentRepository deployments;
  private final OrphanPolicy policy;
  private final MeterRegistry meters;
  private final Clock clock;

  public PackageGarbageCollector(
      PackageStore store,
      FunctionRepository functions,
      FunctionVersionRepository versions,
      DeploymentRepository deployments,
      MeterRegistry meters,
      Clock clock,
      @Value("${faaster.gc.grace:PT1H}") Duration grace) {
    this.store = store;
    this.functions = functions;
    this.versions = versions;
    this.deployments = deployments;
    this.policy = new OrphanPolicy(grace);
    this.meters = meters;
    this.clock = clock;
  }

  @Scheduled(initialDelay = "${faaster.gc.initial-delay:2m}", fixedDelay = "${faaster.gc.interval:15m}")
  void scheduled() {
    try {
      collect(clock.instant());
    } catch (RuntimeException e) {
      log.warn("package garbage collection failed; next run retries: {}", e.getMessage());
    }
  }

  /** Deletes every orphan older than the grace period; returns how many objects it deleted. */
  public int collect(Instant now) {
    int deleted = 0;
    for (ObjectSummary object : store.listObjects(STAGING_PREFIX)) {
      boolean referenced =
          functions.existsByCodeStagingKey(object.key())
              || deployments.existsByStagingKeyAndStatus(object.key(), DeploymentStatus.PENDING);
      deleted += deleteIfGarbage(object, referenced, now);
    }
    for (ObjectSummary object : store.listObjects(PACKAGES_PREFIX)) {
      String digest = digestOf(object.key());
      boolean referenced =
          digest == null
              || versions.existsByCodeSha256(digest)
              || deployments.existsByCodeSha256AndStatusNotEqual(digest, DeploymentStatus.FAILED);
      deleted += deleteIfGarbage(object, referenced, now);
    }
    if (deleted > 0) {
      log.info("deleted {} orphaned package object(s)", deleted);
    }
    return deleted;
  }

  private int deleteIfGarbage(ObjectSummary object, boolean referenced, Instant now) {
    if (!policy.isGarbage(object, referenced, now)) {
      return 0;
    }
    store.delete(object.key());
    meters.counter("faaster.gc.deleted.objects").increment();
    log.info("deleted orphaned object {} ({} bytes, written {})", object.key(), object.sizeBytes(), object.lastModified());
    return 1;
  }

  /** The digest in packages/sha256/DIGEST.zip; null (never deleted) for keys of another shape. */
  static String digestOf(String key) {
    String name = key.substring(PACKAGES_PREFIX.length());
    String digest = name.endsWith(".zip") ? name.substring(0, name.length() - 4) : name;
    return PackageKeys.isDigest(digest) ? digest : null;
  }
}

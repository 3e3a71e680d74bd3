package dev.faaster.activities.code;

import dev.faaster.activities.ActivityLogContext;
import dev.faaster.activities.vm.NodeRole;
import dev.faaster.codecache.CodeUnavailableException;
import dev.faaster.codecache.Lease;
import dev.faaster.codecache.NodeCodeCache;
import dev.faaster.vm.VmSettings;
import dev.faaster.workflows.code.CodeActivities;
import dev.faaster.workflows.code.CodeFailureTypes;
import dev.faaster.workflows.code.CodeOnNode;
import io.micronaut.context.annotation.Requires;
import io.temporal.failure.ApplicationFailure;
import jakarta.inject.Singleton;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Code steps on this node through its L1 cache (which falls back to L2, then the origin). */
@Singleton
@Requires(property = "faaster.roles", pattern = NodeRole.PATTERN)
public class CachedCodeActivities implements CodeActivities {

  private static final Logger log = LoggerFactory.getLogger(CachedCodeActivities.class);

  private final NodeCodeCache cache;
  // Only a node whose instances read in place (faaster.vm.share-dir set) needs packages unpacked.
  private final boolean unpackForShares;

  public CachedCodeActivities(NodeCodeCache cache, VmSettings vm) {
    this.cache = cache;
    this.unpackForShares = vm.shareDir() != null;
  }

  @Override
  public CodeOnNode ensureCodeOnNode(String instanceId, String tenantId, String sha256) {
    try (var ignored = ActivityLogContext.open(tenantId, null, null)) {
      Lease lease = cache.pin(instanceId, tenantId, sha256);
      long unpacked = unpack(instanceId, lease);
      log.info("code {} for instance {} from {} in {} ms, unpacked for reading in place in {} ms", sha256, instanceId,
          lease.source(), lease.elapsed().toMillis(), unpacked);
      return new CodeOnNode(lease.path().toString(), lease.sizeBytes(), lease.source(), lease.elapsed().toMillis());
    } catch (CodeUnavailableException e) {
      if (e.permanent()) {
        throw ApplicationFailure.newNonRetryableFailure(e.getMessage(), CodeFailureTypes.CODE_ACCESS_DENIED);
      }
      // Retried by the workflow's policy: a tier may come back; the message names each tier's failure.
      throw ApplicationFailure.newFailure(e.getMessage(), CodeFailureTypes.CODE_UNAVAILABLE);
    }
  }

  /**
   * Unpacks the package (once per node) here, in the code step, which runs beside the VM's, rather
   * than in the load that follows both; a failure only costs the load the unpacking (it retries,
   * and sends the package inline when it can't). Milliseconds taken.
   */
  private long unpack(String instanceId, Lease lease) {
    if (!unpackForShares) {
      return 0;
    }
    long started = System.nanoTime();
    try {
      cache.tree(lease);
    } catch (IOException | RuntimeException e) {
      log.warn("instance {}: unpacking package {} failed: {}", instanceId, lease.sha256(), e.toString());
    }
    return (System.nanoTime() - started) / 1_000_000;
  }

  @Override
  public void releaseCode(String instanceId) {
    int released = cache.unpin(instanceId);
    log.info("released {} package(s) held by instance {}", released, instanceId);
  }
}

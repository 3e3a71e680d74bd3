package dev.faaster.workflows.code;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;

/**
 * Code steps on the node that will run the instance (its own task queue): the package comes
 * through the cache tiers (L1 on the node, L2 in the zone, the origin) and is verified.
 */
@ActivityInterface
public interface CodeActivities {

  /**
   * Makes the package usable on this node and holds it for the instance (never evicted while held).
   * Idempotent by {@code instanceId}.
   *
   * @param instanceId holder of the package; used for idempotency and compensation correlation
   * @throws io.temporal.failure.ApplicationFailure {@link CodeFailureTypes#CODE_UNAVAILABLE} when no
   *     tier has it, {@link CodeFailureTypes#CODE_ACCESS_DENIED} when the tenant doesn't own it
   */
  @ActivityMethod
  CodeOnNode ensureCodeOnNode(String instanceId, String tenantId, String sha256);

  /** Compensation of {@link #ensureCodeOnNode}: releases what the instance held. Idempotent. */
  @ActivityMethod
  void releaseCode(String instanceId);
}

package dev.faaster.workflows.schedule;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;

/**
 * Slots on the control task queue. Both calls are idempotent by {@code instanceId}: a retried
 * reserve returns the slot the first call took, a release of an instance holding nothing is a no-op.
 */
@ActivityInterface
public interface SlotActivities {

  /**
   * Takes a free slot of the smallest flavor that holds {@code memoryMb} on a live node.
   *
   * @throws io.temporal.failure.ApplicationFailure {@link
   *     dev.faaster.workflows.coldstart.ColdStartFailureTypes#NO_CAPACITY} when none is free
   */
  @ActivityMethod
  SlotGrant reserve(String instanceId, int memoryMb);

  /** Frees the instance's slot. */
  @ActivityMethod
  void release(String instanceId);
}

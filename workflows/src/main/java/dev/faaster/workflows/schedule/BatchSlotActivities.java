package dev.faaster.workflows.schedule;

import dev.faaster.workflows.InstanceOutcome;
import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;
import java.util.List;

/**
 * {@link SlotActivities} for many instances in one call (provisioned concurrency: N instances of
 * one function version). Each instance is handled as the single call handles it, with the same
 * idempotency by instance id; one instance's failure doesn't touch the others.
 */
@ActivityInterface
public interface BatchSlotActivities {

  /**
   * Reserves a slot of the smallest flavor that holds {@code memoryMb} for each instance, in list
   * order. An instance that finds none free gets a {@link
   * dev.faaster.workflows.coldstart.ColdStartFailureTypes#NO_CAPACITY} outcome (not retryable); the
   * ones before it keep their slots.
   *
   * @param instanceIds used for idempotency (a retried call finds the slots the first one took) and
   *     compensation correlation ({@link #releaseSlots})
   * @return one outcome per instance, in the order given
   */
  @ActivityMethod
  List<InstanceOutcome<SlotGrant>> reserveSlots(List<String> instanceIds, int memoryMb);

  /**
   * Frees each instance's slot; an instance that holds none is skipped. Every instance is tried;
   * if any failed, the call fails naming them, and a retry repeats the whole list (safe: each
   * release is idempotent).
   */
  @ActivityMethod
  void releaseSlots(List<String> instanceIds);
}

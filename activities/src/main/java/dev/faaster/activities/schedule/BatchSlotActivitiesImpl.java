package dev.faaster.activities.schedule;

import dev.faaster.activities.BatchRunner;
import dev.faaster.workflows.InstanceOutcome;
import dev.faaster.workflows.schedule.BatchSlotActivities;
import dev.faaster.workflows.schedule.SlotActivities;
import dev.faaster.workflows.schedule.SlotGrant;
import io.micronaut.context.annotation.Requires;
import jakarta.inject.Singleton;
import java.util.List;

/**
 * Slots for a batch: {@link SlotActivities} ({@link SlotActivitiesImpl}: free lists, one
 * conditional UPDATE each) for each instance in turn, on the calling thread. In turn, not in
 * parallel: a reservation is a DB round trip behind one lock on the free lists, and list order is
 * the order in which a batch that doesn't fit gets its slots.
 */
@Singleton
@Requires(property = "faaster.roles", pattern = ControlRole.PATTERN)
public class BatchSlotActivitiesImpl implements BatchSlotActivities {

  private final SlotActivities slots;

  public BatchSlotActivitiesImpl(SlotActivities slots) {
    this.slots = slots;
  }

  @Override
  public List<InstanceOutcome<SlotGrant>> reserveSlots(List<String> instanceIds, int memoryMb) {
    return BatchRunner.inTurn(instanceIds, id -> slots.reserve(id, memoryMb));
  }

  @Override
  public void releaseSlots(List<String> instanceIds) {
    BatchRunner.allInTurn(instanceIds, slots::release, "release slot");
  }
}

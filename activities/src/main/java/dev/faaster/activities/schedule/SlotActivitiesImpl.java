package dev.faaster.activities.schedule;

import dev.faaster.registry.SlotRecord;
import dev.faaster.registry.SlotRepository;
import dev.faaster.workflows.coldstart.ColdStartFailureTypes;
import dev.faaster.workflows.schedule.Flavor;
import dev.faaster.workflows.schedule.Slot;
import dev.faaster.workflows.schedule.SlotActivities;
import dev.faaster.workflows.schedule.SlotGrant;
import io.micronaut.context.annotation.Requires;
import io.temporal.failure.ApplicationFailure;
import jakarta.inject.Singleton;
import java.sql.SQLException;
import java.time.Clock;
import java.util.Optional;

/**
 * Slots on the control task queue: a free slot comes from this process's free lists ({@link
 * SlotTable}) in O(1) and is taken in the registry by one conditional UPDATE (free and on a LIVE
 * node, to this instance). Two control processes racing for one slot: one UPDATE wins, the other
 * takes another slot. Idempotent by instance id: the registry's unique {@code instance_id} makes a
 * retried reserve find the slot it took.
 */
@Singleton
@Requires(property = "faaster.roles", pattern = ControlRole.PATTERN)
public class SlotActivitiesImpl implements SlotActivities {

  /** Memory larger than the largest flavor: the function can never be placed. Non-retryable. */

  private final SlotTable table;
  private final SlotRepository slots;
  private final Clock clock;

  public SlotActivitiesImpl(SlotTable table, SlotRepository slots, Clock clock) {
    this.table = table;
    this.slots = slots;
    this.clock = clock;
  }

  @Override
  public SlotGrant reserve(String instanceId, int memoryMb) {
    Flavor flavor;
    try {
      flavor = Flavor.flavorFor(memoryMb);
    } catch (IllegalArgumentException e) {
      throw ApplicationFailure.newNonRetryableFailure(e.getMessage(), ColdStartFailureTypes.UNSUPPORTED_MEMORY);
    }
    Optional<SlotRecord> held = slots.findByInstanceId(instanceId);
    if (held.isPresent()) {
      return grant(held.get());
    }
    boolean reloaded = false;
    while (true) {
      Slot slot = table.take(flavor);
      if (slot == null) {
        if (!reloaded && table.reloadAfterMiss()) {
          reloaded = true;
          continue;
        }
        throw ApplicationFailure.newNonRetryableFailure(
            "no free " + flavor.memoryMb() + " MiB slot on any live node (instance " + instanceId + " needs "
                + memoryMb + " MiB)",
            ColdStartFailureTypes.NO_CAPACITY);
      }
      long updated;
      try {
        updated = slots.reserve(slot.id(), instanceId, clock.instant());
      } catch (RuntimeException e) {
        table.release(slot.id()); // the UPDATE didn't happen: the slot is still free
        if (isIntegrityViolation(e)) {
          // The same instance reserved concurrently (a retry racing its first attempt): that one won.
          Optional<SlotRecord> winner = slots.findByInstanceId(instanceId);
          if (winner.isPresent()) {
            return grant(winner.get());
          }
        }
        throw e;
      }
      if (updated == 1) {
        return new SlotGrant(slot.id(), slot.nodeId(), slot.flavor().memoryMb());
      }
      // Lost the race (another control process took it, a rebalance recut it, or its node was
      // lost): it stays off this process's free list until the next reload; try another.
    }
  }

  @Override
  public void release(String instanceId) {
    Optional<SlotRecord> held = slots.findByInstanceId(instanceId);
    if (held.isPresent() && slots.release(held.get().id(), instanceId) == 1) {
      table.release(held.get().id());
    }
  }

  private static SlotGrant grant(SlotRecord record) {
    return new SlotGrant(record.id(), record.nodeId(), record.flavorMb());
  }

  /** A unique or foreign-key constraint refused the write (SQLSTATE class 23 on H2 and MariaDB). */
  static boolean isIntegrityViolation(Throwable thrown) {
    for (Throwable cause = thrown; cause != null; cause = cause.getCause()) {
      if (cause instanceof SQLException sql && sql.getSQLState() != null && sql.getSQLState().startsWith("23")) {
        return true;
      }
    }
    return false;
  }
}

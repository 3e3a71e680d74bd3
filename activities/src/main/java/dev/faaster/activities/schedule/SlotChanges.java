package dev.faaster.activities.schedule;

import dev.faaster.registry.SlotRecord;
import dev.faaster.registry.SlotRepository;
import dev.faaster.workflows.schedule.Slot;
import jakarta.inject.Singleton;
import jakarta.transaction.Transactional;
import java.util.List;

/**
 * A rebalance action in the registry, all or nothing: the free slots it consumes are deleted only if
 * still free, then the slots it makes are inserted, in one transaction.
 */
@Singleton
public class SlotChanges {

  /** A slot it consumes was taken (or recut) meanwhile; the transaction rolls back. */
  static final class Conflict extends RuntimeException {
    Conflict(String message) {
      super(message, null, false, false);
    }
  }

  private final SlotRepository slots;

  public SlotChanges(SlotRepository slots) {
    this.slots = slots;
  }

  /** Replaces {@code consumed} (all free) by {@code made}; throws {@link Conflict} when one isn't free any more. */
  @Transactional
  public void replace(List<Slot> consumed, List<Slot> made) {
    for (Slot slot : consumed) {
      if (slots.deleteIfFree(slot.id()) != 1) {
        throw new Conflict("slot " + slot.id() + " is not free any more");
      }
    }
    slots.saveAll(made.stream()
        .map(s -> new SlotRecord(s.id(), s.nodeId(), s.flavor().memoryMb(), s.offsetMb(), null, null))
        .toList());
  }
}

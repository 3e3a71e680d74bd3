package dev.faaster.workflows.schedule;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Placement by free lists: one list of free slots per flavor; {@link #take} pops one in O(1), with
 * no filtering and no scoring. {@link #release} pushes a slot back, {@link #withdraw} drops a
 * node's slots, and {@link #split} / {@link #merge} (driven by {@link SlotRebalancer}, off the
 * request path) change a flavor's supply. Every operation is O(1) except withdraw (O(slots of the
 * node)) and the read-only views.
 *
 * <p>The last slot released or added is the first taken (a stack): a node that just freed a slot
 * is the one most likely to have the function's code and template warm. The scheduler holds no
 * instance ids: which instance holds a slot is the registry's business.
 *
 * <p>Not thread-safe; callers serialize access.
 */
public final class SlotScheduler {

  private static final class Entry {
    final Slot slot;
    /** Index in its flavor's free list, or -1 while taken. */
    int position = -1;

    Entry(Slot slot) {
      this.slot = slot;
    }
  }

  private final Map<String, Entry> byId = new HashMap<>();
  private final Map<String, Map<String, Entry>> byNode = new HashMap<>();
  private final EnumMap<Flavor, ArrayList<Entry>> free = new EnumMap<>(Flavor.class);

  public SlotScheduler() {
    for (Flavor flavor : Flavor.ASCENDING) {
      free.put(flavor, new ArrayList<>());
    }
  }

  /** Adds a free slot. */
  public void add(Slot slot) {
    push(register(slot));
  }

  /** Adds a slot an instance holds: known (release returns it) but not free. */
  public void addTaken(Slot slot) {
    register(slot);
  }

  /** Adds every slot of the plan, free. */
  public void addAll(SlotPlan plan) {
    plan.slots().forEach(this::add);
  }

  /** Takes a free slot of the flavor, or returns null when there is none. */
  public Slot take(Flavor flavor) {
    ArrayList<Entry> list = free.get(flavor);
    if (list.isEmpty()) {
      return null;
    }
    Entry entry = list.remove(list.size() - 1);
    entry.position = -1;
    return entry.slot;
  }

  /**
   * Takes a free slot of the smallest flavor that holds {@code memoryMb}.
   *
   * @throws IllegalArgumentException when no flavor is large enough
   */
  public Optional<Slot> place(int memoryMb) {
    return Optional.ofNullable(take(Flavor.flavorFor(memoryMb)));
  }

  /**
   * Takes this particular slot if it is free (a slot the registry says is taken elsewhere).
   *
   * @return whether it was free
   */
  public boolean take(String slotId) {
    Entry entry = byId.get(slotId);
    if (entry == null || entry.position < 0) {
      return false;
    }
    unlink(entry);
    return true;
  }

  /**
   * Returns a taken slot to its free list.
   *
   * @return false when the slot is unknown (its node was withdrawn, or it was split or merged away)
   *     or already free: nothing changed
   */
  public boolean release(String slotId) {
    Entry entry = byId.get(slotId);
    if (entry == null || entry.position >= 0) {
      return false;
    }
    push(entry);
    return true;
  }

  /** Forgets every slot of the node, free or taken; returns them. */
  public List<Slot> withdraw(String nodeId) {
    Map<String, Entry> slots = byNode.remove(nodeId);
    if (slots == null) {
      return List.of();
    }
    List<Slot> removed = new ArrayList<>(slots.size());
    for (Entry entry : slots.values()) {
      if (entry.position >= 0) {
        unlink(entry);
      }
      byId.remove(entry.slot.id());
      removed.add(entry.slot);
    }
    return removed;
  }

  /**
   * Replaces a free slot by its two free halves.
   *
   * @throws IllegalStateException when the slot is not free or is of the smallest flavor
   */
  public Slot[] split(String slotId) {
    Entry entry = byId.get(slotId);
    if (entry == null || entry.position < 0) {
      throw new IllegalStateException("slot " + slotId + " is not free: only a free slot can be split");
    }
    Slot[] halves = entry.slot.halves();
    if (halves.length == 0) {
      throw new IllegalStateException("slot " + slotId + " is of the smallest flavor: it can't be split");
    }
    forget(entry);
    for (Slot half : halves) {
      add(half);
    }
    return halves;
  }

  /**
   * Replaces two free buddies by their free parent.
   *
   * @throws IllegalStateException when they aren't both free, or aren't buddies
   */
  public Slot merge(String slotId, String buddyId) {
    Entry a = byId.get(slotId);
    Entry b = byId.get(buddyId);
    if (a == null || b == null || a.position < 0 || b.position < 0) {
      throw new IllegalStateException("slots " + slotId + " and " + buddyId + " are not both free: only free slots merge");
    }
    if (a.slot.buddy() == null || !a.slot.buddy().equals(b.slot)) {
      throw new IllegalStateException("slots " + slotId + " and " + buddyId + " are not buddies");
    }
    forget(a);
    forget(b);
    Slot parent = a.slot.parent();
    add(parent);
    return parent;
  }

  public boolean contains(String slotId) {
    return byId.containsKey(slotId);
  }

  public boolean isFree(String slotId) {
    Entry entry = byId.get(slotId);
    return entry != null && entry.position >= 0;
  }

  public int freeCount(Flavor flavor) {
    return free.get(flavor).size();
  }

  /** Free slots per flavor, every flavor present. */
  public Map<Flavor, Integer> freeCounts() {
    Map<Flavor, Integer> counts = new LinkedHashMap<>();
    for (Flavor flavor : Flavor.ASCENDING) {
      counts.put(flavor, freeCount(flavor));
    }
    return counts;
  }

  /** A copy of the flavor's free slots, in the order they would be taken last to first. */
  public List<Slot> freeSlots(Flavor flavor) {
    ArrayList<Entry> list = free.get(flavor);
    List<Slot> slots = new ArrayList<>(list.size());
    for (Entry entry : list) {
      slots.add(entry.slot);
    }
    return slots;
  }

  /** Known slots, free or taken. */
  public int size() {
    return byId.size();
  }

  public int nodeCount() {
    return byNode.size();
  }

  private Entry register(Slot slot) {
    Entry entry = new Entry(slot);
    if (byId.putIfAbsent(slot.id(), entry) != null) {
      throw new IllegalStateException("slot " + slot.id() + " is already known");
    }
    byNode.computeIfAbsent(slot.nodeId(), n -> new HashMap<>()).put(slot.id(), entry);
    return entry;
  }

  private void forget(Entry entry) {
    if (entry.position >= 0) {
      unlink(entry);
    }
    byId.remove(entry.slot.id());
    Map<String, Entry> node = byNode.get(entry.slot.nodeId());
    node.remove(entry.slot.id());
    if (node.isEmpty()) {
      byNode.remove(entry.slot.nodeId());
    }
  }

  private void push(Entry entry) {
    ArrayList<Entry> list = free.get(entry.slot.flavor());
    entry.position = list.size();
    list.add(entry);
  }

  /** Removes a free entry from its list in O(1): the last entry takes its place. */
  private void unlink(Entry entry) {
    ArrayList<Entry> list = free.get(entry.slot.flavor());
    Entry last = list.remove(list.size() - 1);
    if (last != entry) {
      list.set(entry.position, last);
      last.position = entry.position;
    }
    entry.position = -1;
  }
}

package dev.faaster.workflows.schedule;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Keeps every flavor supplied, off the request path: when a flavor has fewer than {@code minFree}
 * free slots, it first merges two free buddies of the next smaller flavor (using fragments, so large
 * free slots stay whole), else splits a free slot of the smallest larger flavor that has one to spare
 * (a buddy split: a 1024 MiB slot wanted as 256 gives one 512 and two 256). A donor flavor never
 * goes below {@code minFree} itself, so the rebalancer never trades one shortage for another; when
 * no flavor can give, the shortage stays and placements of it fail with no capacity.
 *
 * <p>{@link #plan} only decides: it returns actions in the order to apply them. Callers apply them
 * (in the registry, then with {@link SlotScheduler#split} / {@link SlotScheduler#merge}) and stop at
 * the first that no longer applies (a slot was taken meanwhile); the next pass plans again.
 */
public final class SlotRebalancer {

  /** An action on free slots. */
  public sealed interface Action permits Split, Merge {}

  /** Replace a free slot by its two halves. */
  public record Split(Slot slot) implements Action {
    public Slot[] halves() {
      return slot.halves();
    }
  }

  /** Replace two free buddies by their parent. */
  public record Merge(Slot low, Slot high) implements Action {
    public Slot parent() {
      return low.parent();
    }
  }

  private final int minFree;
  private final int maxActions;

  /**
   * @param minFree free slots every flavor should keep
   * @param maxActions at most this many actions per plan (keeps a pass short)
   */
  public SlotRebalancer(int minFree, int maxActions) {
    if (minFree < 0 || maxActions < 1) {
      throw new IllegalArgumentException("minFree >= 0 and maxActions >= 1, not " + minFree + " and " + maxActions);
    }
    this.minFree = minFree;
    this.maxActions = maxActions;
  }

  /** The actions that bring every flavor to {@code minFree} free slots, as far as spare slots allow. */
  public List<Action> plan(SlotScheduler scheduler) {
    EnumMap<Flavor, LinkedHashSet<Slot>> free = new EnumMap<>(Flavor.class);
    Set<Slot> freeSet = new HashSet<>();
    for (Flavor flavor : Flavor.ASCENDING) {
      LinkedHashSet<Slot> slots = new LinkedHashSet<>(scheduler.freeSlots(flavor));
      free.put(flavor, slots);
      freeSet.addAll(slots);
    }
    List<Action> actions = new ArrayList<>();
    for (Flavor flavor : Flavor.ASCENDING) {
      while (free.get(flavor).size() < minFree && actions.size() < maxActions) {
        if (!merge(flavor, free, freeSet, actions) && !split(flavor, free, freeSet, actions)) {
          break;
        }
      }
    }
    return actions;
  }

  private boolean merge(Flavor flavor, EnumMap<Flavor, LinkedHashSet<Slot>> free, Set<Slot> freeSet, List<Action> actions) {
    Flavor half = flavor.half();
    if (half == null || free.get(half).size() - 2 < minFree) {
      return false;
    }
    for (Slot slot : free.get(half)) {
      Slot buddy = slot.buddy();
      if (freeSet.contains(buddy)) {
        Slot low = slot.offsetMb() < buddy.offsetMb() ? slot : buddy;
        Slot high = low == slot ? buddy : slot;
        actions.add(new Merge(low, high));
        remove(low, free, freeSet);
        remove(high, free, freeSet);
        add(low.parent(), free, freeSet);
        return true;
      }
    }
    return false;
  }

  private boolean split(Flavor flavor, EnumMap<Flavor, LinkedHashSet<Slot>> free, Set<Slot> freeSet, List<Action> actions) {
    for (Flavor donor = flavor.twice(); donor != null; donor = donor.twice()) {
      if (free.get(donor).size() > minFree) {
        Slot slot = free.get(donor).iterator().next(); // the one that would be taken last
        while (slot.flavor() != flavor && actions.size() < maxActions) {
          actions.add(new Split(slot));
          remove(slot, free, freeSet);
          Slot[] halves = slot.halves();
          add(halves[1], free, freeSet);
          add(halves[0], free, freeSet);
          slot = halves[0];
        }
        return true;
      }
    }
    return false;
  }

  private static void remove(Slot slot, EnumMap<Flavor, LinkedHashSet<Slot>> free, Set<Slot> freeSet) {
    free.get(slot.flavor()).remove(slot);
    freeSet.remove(slot);
  }

  private static void add(Slot slot, EnumMap<Flavor, LinkedHashSet<Slot>> free, Set<Slot> freeSet) {
    free.get(slot.flavor()).add(slot);
    freeSet.add(slot);
  }
}

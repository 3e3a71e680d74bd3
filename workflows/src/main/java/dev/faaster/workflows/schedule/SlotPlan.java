package dev.faaster.workflows.schedule;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A node's capacity cut into slots, offline (at registration, never on the request path). Slots are
 * laid out largest flavor first from offset 0, so every slot is aligned to its own size and the
 * rebalancer can split and merge buddies. The layout is a function of the counts alone: the same
 * counts on the same node always give the same slot ids.
 *
 * @param nodeId the node
 * @param counts slots per flavor
 * @param slots the slots, largest flavor first
 */
public record SlotPlan(String nodeId, Map<Flavor, Integer> counts, List<Slot> slots) {

  public SlotPlan {
    EnumMap<Flavor, Integer> copy = new EnumMap<>(Flavor.class);
    copy.putAll(counts);
    counts = Collections.unmodifiableMap(copy);
    slots = List.copyOf(slots);
  }

  /**
   * Cuts {@code capacity} by {@code mix}: each flavor gets its weight's share of the slot memory in
   * whole slots; what remains goes to the mix's flavors largest first, as whole slots, until no
   * flavor of the mix fits. Memory below the smallest flavor stays unused.
   */
  public static SlotPlan cut(String nodeId, NodeCapacity capacity, SlotMix mix) {
    int usable = capacity.slotMemoryMb();
    int total = mix.totalWeight();
    EnumMap<Flavor, Integer> counts = new EnumMap<>(Flavor.class);
    int used = 0;
    for (Flavor flavor : Flavor.ASCENDING) {
      int share = (int) ((long) usable * mix.weight(flavor) / total);
      int count = share / flavor.memoryMb();
      counts.put(flavor, count);
      used += count * flavor.memoryMb();
    }
    int left = usable - used;
    for (Flavor flavor : Flavor.DESCENDING) {
      if (mix.weight(flavor) > 0 && left >= flavor.memoryMb()) {
        int more = left / flavor.memoryMb();
        counts.merge(flavor, more, Integer::sum);
        left -= more * flavor.memoryMb();
      }
    }
    return of(nodeId, counts);
  }

  /** The layout of exactly these counts. */
  public static SlotPlan of(String nodeId, Map<Flavor, Integer> counts) {
    List<Slot> slots = new ArrayList<>();
    EnumMap<Flavor, Integer> all = new EnumMap<>(Flavor.class);
    int offset = 0;
    for (Flavor flavor : Flavor.DESCENDING) {
      int count = counts.getOrDefault(flavor, 0);
      if (count < 0) {
        throw new IllegalArgumentException("negative count of " + flavor.memoryMb() + " MiB slots: " + count);
      }
      all.put(flavor, count);
      for (int i = 0; i < count; i++) {
        slots.add(Slot.of(nodeId, flavor, offset));
        offset += flavor.memoryMb();
      }
    }
    return new SlotPlan(nodeId, all, slots);
  }

  /** Memory the slots cover. */
  public int memoryMb() {
    return slots.stream().mapToInt(s -> s.flavor().memoryMb()).sum();
  }

  /**
   * A short name of the plan ({@code 1024x1,512x1,256x4,128x12}): equal for equal plans, so a
   * node re-registering compares it with the recorded one to know whether its slots must be recut.
   */
  public String signature() {
    return Flavor.DESCENDING.stream()
        .map(f -> f.memoryMb() + "x" + counts.getOrDefault(f, 0))
        .collect(Collectors.joining(","));
  }
}

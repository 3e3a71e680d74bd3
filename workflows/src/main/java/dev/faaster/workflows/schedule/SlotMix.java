package dev.faaster.workflows.schedule;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * How a node's memory is shared between the flavors when it is cut into slots: a weight per flavor
 * (a share of the memory, not of the slot count). Written {@code 128:40,256:20,512:15,1024:25}; a
 * flavor left out gets no slots of its own (the rebalancer can still make some by splitting or merging).
 */
public record SlotMix(Map<Flavor, Integer> weights) {

  /** Sized for the embedded single node: most functions use the default 128 MiB. */
  public static final SlotMix DEFAULT = parse("128:40,256:20,512:15,1024:25");

  public SlotMix {
    EnumMap<Flavor, Integer> copy = new EnumMap<>(Flavor.class);
    for (var entry : weights.entrySet()) {
      if (entry.getValue() < 0) {
        throw new IllegalArgumentException("weight of " + entry.getKey().memoryMb() + " MiB is negative: " + entry.getValue());
      }
      if (entry.getValue() > 0) {
        copy.put(entry.getKey(), entry.getValue());
      }
    }
    if (copy.isEmpty()) {
      throw new IllegalArgumentException("a slot mix needs a positive weight for at least one flavor");
    }
    weights = Collections.unmodifiableMap(copy);
  }

  /**
   * Reads {@code flavorMb:weight,...}.
   *
   * @throws IllegalArgumentException naming the part it could not read
   */
  public static SlotMix parse(String text) {
    EnumMap<Flavor, Integer> weights = new EnumMap<>(Flavor.class);
    for (String part : text.split(",")) {
      String trimmed = part.trim();
      if (trimmed.isEmpty()) {
        continue;
      }
      String[] pair = trimmed.split(":");
      if (pair.length != 2) {
        throw new IllegalArgumentException("slot mix part '" + trimmed + "' is not flavorMb:weight (in '" + text + "')");
      }
      try {
        Flavor flavor = Flavor.ofExactly(Integer.parseInt(pair[0].trim()));
        if (weights.put(flavor, Integer.parseInt(pair[1].trim())) != null) {
          throw new IllegalArgumentException("slot mix names " + flavor.memoryMb() + " MiB twice (in '" + text + "')");
        }
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("slot mix part '" + trimmed + "' is not flavorMb:weight (in '" + text + "')");
      }
    }
    return new SlotMix(weights);
  }

  public int weight(Flavor flavor) {
    return weights.getOrDefault(flavor, 0);
  }

  public int totalWeight() {
    return weights.values().stream().mapToInt(Integer::intValue).sum();
  }

  @Override
  public String toString() {
    return weights.entrySet().stream()
        .map(e -> e.getKey().memoryMb() + ":" + e.getValue())
        .collect(Collectors.joining(","));
  }
}

package dev.faaster.api.invoke;

import dev.faaster.api.aliases.RoutingEntry;
import java.util.List;

/** Picks the version an alias sends one invocation to, from its weights and a random draw. */
public final class VersionChooser {

  private VersionChooser() {}

  /**
   * @param routing one or two versions whose weights (percent) add up to 100
   * @param draw uniform in [0, 1): the caller's randomness, so the choice itself is deterministic
   * @return the version whose share of [0, 100) the draw falls into
   */
  public static int choose(List<RoutingEntry> routing, double draw) {
    if (routing.isEmpty()) {
      throw new IllegalArgumentException("an alias routes to at least one version");
    }
    if (draw < 0 || draw >= 1) {
      throw new IllegalArgumentException("draw must be in [0, 1), not " + draw);
    }
    double point = draw * 100;
    int upTo = 0;
    for (RoutingEntry entry : routing) {
      upTo += entry.weight();
      if (point < upTo) {
        return entry.version();
      }
    }
    // Weights short of 100 (never stored): the rest goes to the last version.
    return routing.get(routing.size() - 1).version();
  }
}

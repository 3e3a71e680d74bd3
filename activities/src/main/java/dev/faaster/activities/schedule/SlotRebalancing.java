package dev.faaster.activities.schedule;

import dev.faaster.workflows.schedule.SlotRebalancer;
import dev.faaster.workflows.schedule.SlotRebalancer.Action;
import dev.faaster.workflows.schedule.SlotRebalancer.Merge;
import dev.faaster.workflows.schedule.SlotRebalancer.Split;
import io.micronaut.context.annotation.Requires;
import io.micronaut.scheduling.annotation.Scheduled;
import jakarta.inject.Singleton;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies {@link SlotRebalancer}'s plan every {@code faaster.scheduler.rebalance-interval}, off the
 * request path: each split or merge in the registry first (one transaction, only free slots), then in
 * the free lists. The pass stops at the first action that no longer applies (a slot was taken
 * meanwhile) and reloads; the next pass plans again.
 */
@Singleton
@Requires(property = "faaster.roles", pattern = ControlRole.PATTERN)
public class SlotRebalancing {

  private static final Logger log = LoggerFactory.getLogger(SlotRebalancing.class);

  private final SlotTable table;
  private final SlotChanges changes;
  private final SlotRebalancer rebalancer;

  public SlotRebalancing(SlotTable table, SlotChanges changes, SchedulerSettings settings) {
    this.table = table;
    this.changes = changes;
    this.rebalancer = new SlotRebalancer(settings.rebalanceMinFree(), settings.rebalanceMaxActions());
  }

  @Scheduled(initialDelay = "${faaster.scheduler.rebalance-interval:5s}", fixedDelay = "${faaster.scheduler.rebalance-interval:5s}")
  void scheduled() {
    try {
      rebalance();
    } catch (RuntimeException e) {
      log.warn("slot rebalancing failed; the next pass retries: {}", e.getMessage());
    }
  }

  /** One pass; returns the actions applied. */
  public synchronized List<Action> rebalance() {
    List<Action> planned = table.plan(rebalancer);
    int applied = 0;
    for (Action action : planned) {
      try {
        if (action instanceof Split split) {
          changes.replace(List.of(split.slot()), List.of(split.halves()));
        } else if (action instanceof Merge merge) {
          changes.replace(List.of(merge.low(), merge.high()), List.of(merge.parent()));
        }
      } catch (SlotChanges.Conflict e) {
        log.debug("rebalance stopped: {}", e.getMessage());
        table.reload();
        break;
      }
      if (!table.apply(action)) {
        table.reload();
        applied++;
        break;
      }
      applied++;
    }
    if (applied > 0) {
      log.info("rebalanced slots: {}", planned.subList(0, applied));
    }
    return planned.subList(0, applied);
  }
}

package dev.faaster.activities.schedule;

import dev.faaster.registry.SlotRecord;
import dev.faaster.registry.SlotRepository;
import dev.faaster.workflows.schedule.Flavor;
import dev.faaster.workflows.schedule.Slot;
import dev.faaster.workflows.schedule.SlotRebalancer;
import dev.faaster.workflows.schedule.SlotScheduler;
import io.micronaut.context.annotation.Requires;
import io.micronaut.context.annotation.Value;
import io.micronaut.scheduling.annotation.Scheduled;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This control process's free lists: a {@link SlotScheduler} loaded from the registry. Only a hint:
 * the registry decides (a reservation is a conditional UPDATE), so a slot another process took, or a
 * slot this process doesn't know yet, costs at most a retry or a reload. Reloaded from the registry
 * every {@code faaster.scheduler.resync-interval}, when a reserve finds nothing free (at most every
 * {@code faaster.scheduler.reload-on-miss-after}, 500 ms), and on demand.
 */
@Singleton
@Requires(property = "faaster.roles", pattern = ControlRole.PATTERN)
public class SlotTable {

  private static final Logger log = LoggerFactory.getLogger(SlotTable.class);
  private final SlotRepository slots;
  private final Clock clock;
  private final Duration reloadOnMissAfter;
  private SlotScheduler scheduler;
  private Instant loadedAt;

  /**
   * @param reloadOnMissAfter a reserve that finds no free slot reloads the free lists unless they
   *     are younger than this (a burst of refusals doesn't turn into a burst of full reloads)
   */
  public SlotTable(
      SlotRepository slots, Clock clock, @Value("${faaster.scheduler.reload-on-miss-after:500ms}") Duration reloadOnMissAfter) {
    this.slots = slots;
    this.clock = clock;
    this.reloadOnMissAfter = reloadOnMissAfter;
  }

  @Scheduled(initialDelay = "${faaster.scheduler.resync-interval:5s}", fixedDelay = "${faaster.scheduler.resync-interval:5s}")
  void scheduled() {
    try {
      reload();
    } catch (RuntimeException e) {
      log.warn("reloading the free slots failed; the next pass retries: {}", e.getMessage());
    }
  }

  /** Replaces the free lists by the registry's slots of LIVE nodes. */
  public void reload() {
    List<SlotRecord> records = slots.findOnLiveNodes();
    SlotScheduler fresh = new SlotScheduler();
    for (SlotRecord record : records) {
      Slot slot = toSlot(record);
      if (record.instanceId() == null) {
        fresh.add(slot);
      } else {
        fresh.addTaken(slot);
      }
    }
    Instant now = clock.instant();
    synchronized (this) {
      scheduler = fresh;
      loadedAt = now;
    }
  }

  /** A free slot of the flavor from the free lists (loaded first if never loaded), or null. */
  public Slot take(Flavor flavor) {
    synchronized (this) {
      if (scheduler != null) {
        return scheduler.take(flavor);
      }
    }
    reload();
    synchronized (this) {
      return scheduler.take(flavor);
    }
  }

  /** Reloads unless the last load is younger than {@code reloadOnMissAfter}; returns whether it did. */
  public boolean reloadAfterMiss() {
    synchronized (this) {
      if (loadedAt != null && Duration.between(loadedAt, clock.instant()).compareTo(reloadOnMissAfter) < 0) {
        return false;
      }
    }
    reload();
    return true;
  }

  /** Puts a slot back on its free list (a no-op for a slot this process doesn't know). */
  public synchronized void release(String slotId) {
    if (scheduler != null) {
      scheduler.release(slotId);
    }
  }

  /** Forgets a lost node's slots. */
  public synchronized List<Slot> withdraw(String nodeId) {
    return scheduler == null ? List.of() : scheduler.withdraw(nodeId);
  }

  /** What the rebalancer would do now. */
  public synchronized List<SlotRebalancer.Action> plan(SlotRebalancer rebalancer) {
    return scheduler == null ? List.of() : rebalancer.plan(scheduler);
  }

  /** Applies a rebalance action the registry already applied; false when the free lists disagree (reload). */
  public synchronized boolean apply(SlotRebalancer.Action action) {
    if (scheduler == null) {
      return false;
    }
    try {
      if (action instanceof SlotRebalancer.Split split) {
        scheduler.split(split.slot().id());
      } else if (action instanceof SlotRebalancer.Merge merge) {
        scheduler.merge(merge.low().id(), merge.high().id());
      }
      return true;
    } catch (IllegalStateException e) {
      return false;
    }
  }

  /** A copy of the free counts, for metrics and tests. */
  public synchronized int freeCount(Flavor flavor) {
    return scheduler == null ? 0 : scheduler.freeCount(flavor);
  }

  static Slot toSlot(SlotRecord record) {
    return new Slot(record.id(), record.nodeId(), Flavor.ofExactly(record.flavorMb()), record.offsetMb());
  }
}

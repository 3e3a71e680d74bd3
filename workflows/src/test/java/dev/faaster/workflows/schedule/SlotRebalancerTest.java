package dev.faaster.workflows.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import dev.faaster.workflows.schedule.SlotRebalancer.Action;
import dev.faaster.workflows.schedule.SlotRebalancer.Merge;
import dev.faaster.workflows.schedule.SlotRebalancer.Split;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SlotRebalancerTest {

  private static int freeMemory(SlotScheduler scheduler) {
    return scheduler.freeCounts().entrySet().stream().mapToInt(e -> e.getKey().memoryMb() * e.getValue()).sum();
  }

  private static void apply(SlotScheduler scheduler, List<Action> actions) {
    for (Action action : actions) {
      if (action instanceof Split split) {
        scheduler.split(split.slot().id());
      } else if (action instanceof Merge merge) {
        scheduler.merge(merge.low().id(), merge.high().id());
      }
    }
  }

  @Test
  void aShortFlavorIsFedBySplittingALargerFreeSlot() {
    SlotScheduler scheduler = new SlotScheduler();
    scheduler.addAll(SlotPlan.of("n", Map.of(Flavor.MB_1024, 2, Flavor.MB_128, 0)));

    List<Action> actions = new SlotRebalancer(1, 10).plan(scheduler);
    apply(scheduler, actions);

    // 1024 -> 512 + 512, 512 -> 256 + 256, 256 -> 128 + 128 (for 128); 512 and 256 are already fed.
    assertThat(actions).hasSize(3).allSatisfy(action -> assertThat(action).isInstanceOf(Split.class));
    assertThat(scheduler.freeCounts()).containsEntry(Flavor.MB_128, 2).containsEntry(Flavor.MB_256, 1)
        .containsEntry(Flavor.MB_512, 1).containsEntry(Flavor.MB_1024, 1);
    assertThat(freeMemory(scheduler)).isEqualTo(2048);
  }

  @Test
  void aShortLargeFlavorIsFedByMergingFreeBuddies() {
    SlotScheduler scheduler = new SlotScheduler();
    scheduler.addAll(SlotPlan.of("n", Map.of(Flavor.MB_512, 4)));

    List<Action> actions = new SlotRebalancer(1, 10).plan(scheduler);
    apply(scheduler, actions);

    // 128 and 256 first: a 512 is split for them; then two free 512 buddies merge for 1024.
    assertThat(actions).contains(new Merge(Slot.of("n", Flavor.MB_512, 1024), Slot.of("n", Flavor.MB_512, 1536)));
    assertThat(scheduler.freeCount(Flavor.MB_1024)).isEqualTo(1);
    assertThat(Flavor.ASCENDING).allSatisfy(f -> assertThat(scheduler.freeCount(f)).as("%s", f).isGreaterThanOrEqualTo(1));
    assertThat(freeMemory(scheduler)).isEqualTo(2048);
  }

  @Test
  void aDonorNeverGoesBelowItsOwnMinimum() {
    SlotScheduler scheduler = new SlotScheduler();
    scheduler.addAll(SlotPlan.of("n", Map.of(Flavor.MB_1024, 2)));

    List<Action> actions = new SlotRebalancer(2, 10).plan(scheduler);

    assertThat(actions).as("the only donor has exactly its minimum").isEmpty();
  }

  @Test
  void takenSlotsNeverTakePartInARebalance() {
    SlotScheduler scheduler = new SlotScheduler();
    scheduler.addAll(SlotPlan.of("n", Map.of(Flavor.MB_512, 2, Flavor.MB_1024, 3)));
    Slot taken512 = scheduler.take(Flavor.MB_512);
    Slot taken1024 = scheduler.take(Flavor.MB_1024);

    List<Action> actions = new SlotRebalancer(1, 10).plan(scheduler);

    assertThat(actions).isNotEmpty().allSatisfy(action -> {
      if (action instanceof Split split) {
        assertThat(split.slot()).isNotIn(taken512, taken1024);
      } else if (action instanceof Merge merge) {
        assertThat(List.of(merge.low(), merge.high())).doesNotContain(taken512, taken1024);
      }
    });
    apply(scheduler, actions);
    assertThat(scheduler.release(taken512.id())).isTrue();
    assertThat(scheduler.release(taken1024.id())).isTrue();
  }

  @Test
  void plansApplyCleanlyAndConserveMemoryWhateverTheState() {
    for (long seed = 0; seed < 50; seed++) {
      Random random = new Random(seed);
      SlotScheduler scheduler = new SlotScheduler();
      for (int n = 0; n < 4; n++) {
        scheduler.addAll(SlotPlan.of("n" + n, Map.of(Flavor.MB_128, random.nextInt(6), Flavor.MB_256, random.nextInt(4),
            Flavor.MB_512, random.nextInt(3), Flavor.MB_1024, random.nextInt(3))));
      }
      for (int i = 0; i < random.nextInt(10); i++) {
        scheduler.take(Flavor.ASCENDING.get(random.nextInt(4)));
      }
      int before = freeMemory(scheduler);
      int minFree = 1 + random.nextInt(3);

      apply(scheduler, new SlotRebalancer(minFree, 100).plan(scheduler));

      assertThat(freeMemory(scheduler)).as("seed %d", seed).isEqualTo(before);
      assertThat(new SlotRebalancer(minFree, 100).plan(scheduler))
          .as("a second plan right after has nothing left to do that it could (seed %d)", seed)
          .isEmpty();
    }
  }

  @Test
  void aPlanStopsAtMaxActions() {
    SlotScheduler scheduler = new SlotScheduler();
    scheduler.addAll(SlotPlan.of("n", Map.of(Flavor.MB_1024, 4)));

    assertThat(new SlotRebalancer(3, 2).plan(scheduler)).hasSize(2);
  }
}

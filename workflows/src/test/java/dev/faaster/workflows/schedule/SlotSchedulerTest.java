package dev.faaster.workflows.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SlotSchedulerTest {

  private static SlotScheduler withNodes(int nodes, Map<Flavor, Integer> counts) {
    SlotScheduler scheduler = new SlotScheduler();
    for (int i = 0; i < nodes; i++) {
      scheduler.addAll(SlotPlan.of("node-" + i, counts));
    }
    return scheduler;
  }

  @Test
  void placeTakesAFreeSlotOfTheSmallestFlavorThatHoldsTheMemory() {
    SlotScheduler scheduler = withNodes(1, Map.of(Flavor.MB_128, 1, Flavor.MB_256, 1));

    assertThat(scheduler.place(200)).hasValueSatisfying(slot -> assertThat(slot.flavor()).isEqualTo(Flavor.MB_256));
    assertThat(scheduler.place(200)).as("no 256 left; a 128 doesn't hold 200 MiB").isEmpty();
    assertThat(scheduler.place(100)).hasValueSatisfying(slot -> assertThat(slot.flavor()).isEqualTo(Flavor.MB_128));
    assertThat(scheduler.freeCounts()).containsEntry(Flavor.MB_128, 0).containsEntry(Flavor.MB_256, 0);
  }

  @Test
  void aFlavorWithNoFreeSlotIsNotServedByAnother() {
    SlotScheduler scheduler = withNodes(2, Map.of(Flavor.MB_1024, 1));

    assertThat(scheduler.take(Flavor.MB_128)).isNull();
    assertThat(scheduler.freeCount(Flavor.MB_1024)).isEqualTo(2);
  }

  @Test
  void aReleasedSlotIsTheNextTakenAndOnlyOnce() {
    SlotScheduler scheduler = withNodes(3, Map.of(Flavor.MB_128, 2));
    Slot first = scheduler.take(Flavor.MB_128);
    scheduler.take(Flavor.MB_128);

    assertThat(scheduler.release(first.id())).isTrue();
    assertThat(scheduler.release(first.id())).as("already free").isFalse();
    assertThat(scheduler.take(Flavor.MB_128)).isEqualTo(first);
    assertThat(scheduler.freeCount(Flavor.MB_128)).isEqualTo(4);
  }

  @Test
  void aSlotIsNeverHandedOutTwiceUnderRandomTakesReleasesAndWithdrawals() {
    for (long seed = 0; seed < 20; seed++) {
      Random random = new Random(seed);
      SlotScheduler scheduler = withNodes(10, Map.of(Flavor.MB_128, 5, Flavor.MB_256, 3, Flavor.MB_512, 2, Flavor.MB_1024, 1));
      int total = scheduler.size();
      Map<String, Slot> held = new HashMap<>();
      Set<String> withdrawn = new HashSet<>();
      for (int step = 0; step < 5_000; step++) {
        int op = random.nextInt(100);
        if (op < 55) {
          Flavor flavor = Flavor.ASCENDING.get(random.nextInt(4));
          Slot slot = scheduler.take(flavor);
          if (slot != null) {
            assertThat(slot.flavor()).isEqualTo(flavor);
            assertThat(withdrawn).doesNotContain(slot.nodeId());
            assertThat(held.put(slot.id(), slot)).as("slot %s handed out twice (seed %d)", slot.id(), seed).isNull();
          } else {
            assertThat(scheduler.freeCount(flavor)).isZero();
          }
        } else if (op < 98 && !held.isEmpty()) {
          List<String> ids = new ArrayList<>(held.keySet());
          String id = ids.get(random.nextInt(ids.size()));
          Slot slot = held.remove(id);
          assertThat(scheduler.release(id)).isEqualTo(!withdrawn.contains(slot.nodeId()));
        } else if (op >= 98) {
          String node = "node-" + random.nextInt(10);
          boolean first = withdrawn.add(node);
          List<Slot> removed = scheduler.withdraw(node);
          assertThat(removed).hasSize(first ? 11 : 0);
        }
        int free = scheduler.freeCounts().values().stream().mapToInt(Integer::intValue).sum();
        long heldLive = held.values().stream().filter(s -> !withdrawn.contains(s.nodeId())).count();
        assertThat(free + heldLive).as("free + held = all slots of live nodes").isEqualTo(total - 11L * withdrawn.size());
      }
    }
  }

  @Test
  void withdrawingANodeRemovesItsFreeAndTakenSlots() {
    SlotScheduler scheduler = withNodes(2, Map.of(Flavor.MB_128, 3));
    Slot taken = scheduler.take(Flavor.MB_128); // node-1's: the last added is taken first
    assertThat(taken.nodeId()).isEqualTo("node-1");

    List<Slot> removed = scheduler.withdraw("node-1");

    assertThat(removed).hasSize(3).contains(taken);
    assertThat(scheduler.freeCount(Flavor.MB_128)).isEqualTo(3);
    assertThat(scheduler.release(taken.id())).as("its node is gone").isFalse();
    for (int i = 0; i < 3; i++) {
      assertThat(scheduler.take(Flavor.MB_128).nodeId()).isEqualTo("node-0");
    }
    assertThat(scheduler.take(Flavor.MB_128)).isNull();
    assertThat(scheduler.withdraw("node-1")).isEmpty();
    assertThat(scheduler.nodeCount()).isEqualTo(1);
  }

  @Test
  void aSlotKnownAsTakenComesBackOnRelease() {
    SlotScheduler scheduler = new SlotScheduler();
    Slot slot = Slot.of("n", Flavor.MB_512, 0);
    scheduler.addTaken(slot);

    assertThat(scheduler.take(Flavor.MB_512)).isNull();
    assertThat(scheduler.release(slot.id())).isTrue();
    assertThat(scheduler.take(Flavor.MB_512)).isEqualTo(slot);
  }

  @Test
  void aParticularFreeSlotCanBeTakenOutOfItsList() {
    SlotScheduler scheduler = withNodes(1, Map.of(Flavor.MB_128, 3));
    Slot middle = Slot.of("node-0", Flavor.MB_128, 128);

    assertThat(scheduler.take(middle.id())).isTrue();
    assertThat(scheduler.take(middle.id())).isFalse();
    assertThat(List.of(scheduler.take(Flavor.MB_128), scheduler.take(Flavor.MB_128))).doesNotContain(middle);
    assertThat(scheduler.take(Flavor.MB_128)).isNull();
  }

  @Test
  void aSlotIsAddedOnce() {
    SlotScheduler scheduler = withNodes(1, Map.of(Flavor.MB_128, 1));

    assertThatThrownBy(() -> scheduler.add(Slot.of("node-0", Flavor.MB_128, 0))).hasMessageContaining("already known");
  }

  @Test
  void splitAndMergeRoundTripAndKeepTheMemory() {
    SlotScheduler scheduler = withNodes(1, Map.of(Flavor.MB_1024, 1));

    Slot[] halves = scheduler.split("node-0/1024@0");
    assertThat(halves).containsExactly(Slot.of("node-0", Flavor.MB_512, 0), Slot.of("node-0", Flavor.MB_512, 512));
    assertThat(scheduler.freeCount(Flavor.MB_1024)).isZero();
    assertThat(scheduler.freeCount(Flavor.MB_512)).isEqualTo(2);

    Slot parent = scheduler.merge(halves[1].id(), halves[0].id());
    assertThat(parent).isEqualTo(Slot.of("node-0", Flavor.MB_1024, 0));
    assertThat(scheduler.freeCount(Flavor.MB_512)).isZero();
    assertThat(scheduler.take(Flavor.MB_1024)).isEqualTo(parent);
  }

  @Test
  void onlyFreeSlotsSplitAndOnlyFreeBuddiesMerge() {
    SlotScheduler scheduler = withNodes(1, Map.of(Flavor.MB_256, 3));
    Slot taken = scheduler.take(Flavor.MB_256); // node-0/256@512

    assertThatThrownBy(() -> scheduler.split(taken.id())).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> scheduler.merge("node-0/256@0", "node-0/256@512")).isInstanceOf(IllegalStateException.class);
    assertThat(scheduler.release(taken.id())).isTrue();
    assertThatThrownBy(() -> scheduler.merge("node-0/256@256", "node-0/256@512"))
        .as("neighbours, but not buddies").hasMessageContaining("not buddies");
    assertThat(scheduler.freeCount(Flavor.MB_256)).isEqualTo(3);
  }
}

package dev.faaster.workflows.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SlotPlanTest {

  @Test
  void theDefaultMixCutsTheEmbeddedNodeIntoEveryFlavor() {
    SlotPlan plan = SlotPlan.cut("local", new NodeCapacity(4096, 4), SlotMix.DEFAULT);

    assertThat(plan.signature()).isEqualTo("1024x1,512x1,256x4,128x12");
    assertThat(plan.memoryMb()).isEqualTo(4096);
    assertThat(plan.slots()).hasSize(18).allSatisfy(slot -> assertThat(slot.nodeId()).isEqualTo("local"));
    assertThat(plan.slots().get(0)).isEqualTo(Slot.of("local", Flavor.MB_1024, 0));
  }

  @Test
  void vcpusCapTheMemoryThatIsCut() {
    SlotPlan plan = SlotPlan.cut("n", new NodeCapacity(8192, 2), SlotMix.parse("128:1"));

    assertThat(plan.memoryMb()).isEqualTo(2048);
    assertThat(plan.counts()).containsEntry(Flavor.MB_128, 16).containsEntry(Flavor.MB_1024, 0);
  }

  @Test
  void leftoverMemoryGoesToTheMixsFlavorsLargestFirst() {
    // 1000 MiB usable -> 896 (whole 128s); 512 gets 448 (0 slots), 128 gets 448 (3 slots = 384);
    // 512 left: one 512 slot.
    SlotPlan plan = SlotPlan.cut("n", new NodeCapacity(1000, 8), SlotMix.parse("128:1,512:1"));

    assertThat(plan.counts()).containsEntry(Flavor.MB_512, 1).containsEntry(Flavor.MB_128, 3).containsEntry(Flavor.MB_256, 0);
    assertThat(plan.memoryMb()).isEqualTo(896);
  }

  @Test
  void slotsNeverOverlapNeverExceedTheCapacityAndAreAligned() {
    Random random = new Random(7);
    for (int run = 0; run < 200; run++) {
      NodeCapacity capacity = new NodeCapacity(random.nextInt(65_536), random.nextInt(64), 256 + random.nextInt(2048));
      SlotMix mix = SlotMix.parse("128:" + random.nextInt(5) + ",256:" + random.nextInt(5) + ",512:" + random.nextInt(5) + ",1024:" + (1 + random.nextInt(5)));
      SlotPlan plan = SlotPlan.cut("n" + run, capacity, mix);

      assertThat(plan.memoryMb()).isLessThanOrEqualTo(capacity.slotMemoryMb());
      assertThat(capacity.slotMemoryMb() - plan.memoryMb()).as("unused memory with %s", mix).isLessThan(Flavor.LARGEST.memoryMb());
      List<Slot> slots = plan.slots();
      for (int i = 0; i < slots.size(); i++) {
        assertThat(slots.get(i).offsetMb() % slots.get(i).flavor().memoryMb()).isZero();
        assertThat(slots.get(i).offsetMb() + slots.get(i).flavor().memoryMb()).isLessThanOrEqualTo(capacity.slotMemoryMb());
        for (int j = i + 1; j < slots.size(); j++) {
          assertThat(slots.get(i).overlaps(slots.get(j))).as("%s and %s", slots.get(i), slots.get(j)).isFalse();
        }
      }
    }
  }

  @Test
  void theSameCountsAlwaysNameTheSameSlots() {
    Map<Flavor, Integer> counts = Map.of(Flavor.MB_128, 3, Flavor.MB_512, 2);
    SlotPlan a = SlotPlan.of("n", counts);
    SlotPlan b = SlotPlan.cut("n", new NodeCapacity(1408, 8), SlotMix.parse("128:384,512:1024"));

    assertThat(a.slots()).isEqualTo(b.slots());
    assertThat(a.signature()).isEqualTo(b.signature()).isEqualTo("1024x0,512x2,256x0,128x3");
    assertThat(a.slots()).extracting(Slot::id).containsExactly("n/512@0", "n/512@512", "n/128@1024", "n/128@1152", "n/128@1280");
  }

  @Test
  void aMixIsReadAndWrittenAsFlavorWeightPairs() {
    SlotMix mix = SlotMix.parse(" 128:3, 1024:1 ");

    assertThat(mix.weight(Flavor.MB_128)).isEqualTo(3);
    assertThat(mix.weight(Flavor.MB_256)).isZero();
    assertThat(mix.totalWeight()).isEqualTo(4);
    assertThat(SlotMix.parse(mix.toString())).isEqualTo(mix);
  }

  @Test
  void aMixThatCantBeReadNamesThePart() {
    assertThatThrownBy(() -> SlotMix.parse("128:1,300:2")).hasMessageContaining("300");
    assertThatThrownBy(() -> SlotMix.parse("128=1")).hasMessageContaining("'128=1' is not flavorMb:weight");
    assertThatThrownBy(() -> SlotMix.parse("128:x")).hasMessageContaining("'128:x'");
    assertThatThrownBy(() -> SlotMix.parse("128:1,128:2")).hasMessageContaining("twice");
    assertThatThrownBy(() -> SlotMix.parse("128:0")).hasMessageContaining("positive weight");
    assertThatThrownBy(() -> SlotMix.parse("128:-1")).hasMessageContaining("negative");
  }
}

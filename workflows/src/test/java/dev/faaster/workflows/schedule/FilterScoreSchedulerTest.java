package dev.faaster.workflows.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import dev.faaster.workflows.schedule.FilterScoreScheduler.Node;
import dev.faaster.workflows.schedule.FilterScoreScheduler.Request;
import java.util.List;
import org.junit.jupiter.api.Test;

class FilterScoreSchedulerTest {

  private static final List<Node> NODES =
      List.of(new Node("a", "z1", 1024, 2000), new Node("b", "z1", 2048, 2000), new Node("c", "z2", 512, 1000));

  @Test
  void theLeastAllocatedNodeThatFitsWins() {
    FilterScoreScheduler scheduler = new FilterScoreScheduler(NODES);

    assertThat(scheduler.place(new Request("f", 512, 500, null, false))).isEqualTo("b");
    assertThat(scheduler.freeMemoryMb("b")).isEqualTo(1536);
  }

  @Test
  void aRequestNoNodeFitsIsNotPlaced() {
    FilterScoreScheduler scheduler = new FilterScoreScheduler(NODES);

    assertThat(scheduler.place(new Request("f", 4096, 100, null, false))).isNull();
    assertThat(scheduler.place(new Request("f", 128, 2500, null, false))).as("CPU doesn't fit").isNull();
  }

  @Test
  void affinityKeepsARequestInItsZone() {
    FilterScoreScheduler scheduler = new FilterScoreScheduler(NODES);

    assertThat(scheduler.place(new Request("f", 256, 100, "z2", false))).isEqualTo("c");
    assertThat(scheduler.place(new Request("f", 512, 100, "z2", false))).as("c has 256 MiB left").isNull();
  }

  @Test
  void antiAffinitySpreadsAGroupOnePerNode() {
    FilterScoreScheduler scheduler = new FilterScoreScheduler(NODES);
    Request request = new Request("f", 128, 100, null, true);

    List<String> placed = List.of(scheduler.place(request), scheduler.place(request), scheduler.place(request));

    assertThat(placed).containsExactlyInAnyOrder("a", "b", "c");
    assertThat(scheduler.place(request)).isNull();
    assertThat(scheduler.place(new Request("g", 128, 100, null, true))).as("another group").isNotNull();
  }

  @Test
  void releaseGivesTheCapacityAndTheGroupPlaceBack() {
    FilterScoreScheduler scheduler = new FilterScoreScheduler(List.of(new Node("a", "z1", 256, 1000)));
    Request request = new Request("f", 256, 100, null, true);
    String node = scheduler.place(request);
    assertThat(scheduler.place(request)).isNull();

    scheduler.release(node, request);

    assertThat(scheduler.freeMemoryMb("a")).isEqualTo(256);
    assertThat(scheduler.place(request)).isEqualTo("a");
  }
}

package dev.faaster.activities.schedule;

import dev.faaster.activities.vm.NodeConfiguration;
import dev.faaster.registry.NodeRepository;
import dev.faaster.registry.SlotRepository;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

/** Nodes registered the way a node agent does, with a capacity and mix of the test's choosing. */
final class SchedulerFixture {

  private SchedulerFixture() {}

  static NodeRegistration node(
      String id, int memoryMb, String mix, NodeRepository nodes, SlotRepository slots, Clock clock) {
    NodeConfiguration node =
        new NodeConfiguration(id, List.of(), Path.of("build-image.sh"), Path.of("images"), Duration.ofSeconds(30));
    NodeSlotsConfiguration settings = new NodeSlotsConfiguration("zone-a", memoryMb, 64, 1024, mix, Duration.ofSeconds(2));
    return new NodeRegistration(node, settings, nodes, slots, clock);
  }
}

package dev.faaster.activities.schedule;

import dev.faaster.workflows.schedule.NodeCapacity;
import dev.faaster.workflows.schedule.SlotMix;
import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.core.bind.annotation.Bindable;
import java.time.Duration;

/**
 * What this node offers the scheduler (beside {@code faaster.node.id} in NodeConfiguration).
 * Defaults are sized for the embedded single node.
 *
 * @param zone the node's zone
 * @param memoryMb memory for instances
 * @param vcpus vCPUs for instances
 * @param memoryPerVcpuMb slot memory one vCPU serves (caps the memory cut at vcpus times this)
 * @param slotMix share of the memory per flavor, {@code 128:40,256:20,512:15,1024:25}
 * @param heartbeatInterval how often the node tells the control plane it is alive
 */
@ConfigurationProperties("faaster.node")
public record NodeSlotsConfiguration(
    @Bindable(defaultValue = "local") String zone,
    @Bindable(defaultValue = "4096") int memoryMb,
    @Bindable(defaultValue = "4") int vcpus,
    @Bindable(defaultValue = "1024") int memoryPerVcpuMb,
    @Bindable(defaultValue = "128:40,256:20,512:15,1024:25") String slotMix,
    @Bindable(defaultValue = "2s") Duration heartbeatInterval) {

  public NodeCapacity capacity() {
    return new NodeCapacity(memoryMb, vcpus, memoryPerVcpuMb);
  }

  public SlotMix mix() {
    return SlotMix.parse(slotMix);
  }
}

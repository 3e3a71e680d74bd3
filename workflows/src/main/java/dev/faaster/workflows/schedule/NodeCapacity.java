package dev.faaster.workflows.schedule;

/**
 * What a node offers to instances. Slots get vCPU in proportion to their memory (as Lambda does),
 * so the vCPUs cap the memory that is cut into slots at {@code vcpus * memoryPerVcpuMb}.
 *
 * @param memoryMb memory for instances (not the host's total: leave the host its own)
 * @param vcpus vCPUs for instances
 * @param memoryPerVcpuMb how much slot memory one vCPU serves (1024: a 1024 MiB slot gets one vCPU)
 */
public record NodeCapacity(int memoryMb, int vcpus, int memoryPerVcpuMb) {

  public static final int DEFAULT_MEMORY_PER_VCPU_MB = 1024;

  public NodeCapacity {
    if (memoryMb < 0 || vcpus < 0 || memoryPerVcpuMb <= 0) {
      throw new IllegalArgumentException(
          "capacity needs memory >= 0, vCPUs >= 0 and memory per vCPU > 0, not " + memoryMb + " MiB, " + vcpus
              + " vCPUs, " + memoryPerVcpuMb + " MiB per vCPU");
    }
  }

  public NodeCapacity(int memoryMb, int vcpus) {
    this(memoryMb, vcpus, DEFAULT_MEMORY_PER_VCPU_MB);
  }

  /** The memory slots may use: the smaller of the memory and what the vCPUs serve, in whole smallest flavors. */
  public int slotMemoryMb() {
    long byCpu = (long) vcpus * memoryPerVcpuMb;
    int usable = (int) Math.min(memoryMb, byCpu);
    return usable - usable % Flavor.SMALLEST.memoryMb();
  }
}

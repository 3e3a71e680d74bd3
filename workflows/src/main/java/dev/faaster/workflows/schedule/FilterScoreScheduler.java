package dev.faaster.workflows.schedule;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The classic scheduler the slot scheduler is measured against (Kubernetes' shape): for every
 * request, filter all nodes (resource fit, zone affinity, group anti-affinity), score the ones left
 * (least allocated plus balanced allocation, as kube-scheduler's default plugins), bind the best.
 * O(nodes) per placement. Used by the benchmark only; the platform places with {@link SlotScheduler}.
 *
 * <p>Not thread-safe.
 */
public final class FilterScoreScheduler {

  /**
   * A node as the classic scheduler sees it.
   *
   * @param zone the node's zone label (affinity matches it)
   * @param memoryMb allocatable memory
   * @param cpuMillis allocatable CPU in thousandths of a vCPU
   */
  public record Node(String id, String zone, int memoryMb, int cpuMillis) {}

  /**
   * One instance to place.
   *
   * @param group the function (anti-affinity spreads a group's instances)
   * @param requiredZone affinity: only nodes of this zone, or null for any
   * @param antiAffinity at most one instance of the group per node
   */
  public record Request(String group, int memoryMb, int cpuMillis, String requiredZone, boolean antiAffinity) {}

  private final Node[] nodes;
  private final int[] freeMemory;
  private final int[] freeCpu;
  private final List<Map<String, Integer>> groups;

  public FilterScoreScheduler(List<Node> nodes) {
    this.nodes = nodes.toArray(new Node[0]);
    this.freeMemory = new int[this.nodes.length];
    this.freeCpu = new int[this.nodes.length];
    this.groups = new ArrayList<>(this.nodes.length);
    for (int i = 0; i < this.nodes.length; i++) {
      freeMemory[i] = this.nodes[i].memoryMb();
      freeCpu[i] = this.nodes[i].cpuMillis();
      groups.add(new HashMap<>());
    }
  }

  /** Filters and scores every node; binds the request to the best one. Returns its id, or null when none passes. */
  public String place(Request request) {
    int best = -1;
    double bestScore = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < nodes.length; i++) {
      if (!passes(i, request)) {
        continue;
      }
      double score = score(i, request);
      if (score > bestScore) {
        bestScore = score;
        best = i;
      }
    }
    if (best < 0) {
      return null;
    }
    freeMemory[best] -= request.memoryMb();
    freeCpu[best] -= request.cpuMillis();
    groups.get(best).merge(request.group(), 1, Integer::sum);
    return nodes[best].id();
  }

  /** Gives back what {@code request} took on the node. */
  public void release(String nodeId, Request request) {
    for (int i = 0; i < nodes.length; i++) {
      if (nodes[i].id().equals(nodeId)) {
        freeMemory[i] += request.memoryMb();
        freeCpu[i] += request.cpuMillis();
        groups.get(i).computeIfPresent(request.group(), (g, n) -> n == 1 ? null : n - 1);
        return;
      }
    }
    throw new IllegalArgumentException("unknown node " + nodeId);
  }

  public int freeMemoryMb(String nodeId) {
    for (int i = 0; i < nodes.length; i++) {
      if (nodes[i].id().equals(nodeId)) {
        return freeMemory[i];
      }
    }
    throw new IllegalArgumentException("unknown node " + nodeId);
  }

  private boolean passes(int i, Request request) {
    if (freeMemory[i] < request.memoryMb() || freeCpu[i] < request.cpuMillis()) {
      return false; // resource fit
    }
    if (request.requiredZone() != null && !request.requiredZone().equals(nodes[i].zone())) {
      return false; // node affinity
    }
    return !request.antiAffinity() || !groups.get(i).containsKey(request.group()); // anti-affinity
  }

  /** Least allocated (0..100, emptier is better) plus balanced allocation (100 when memory and CPU are equally used). */
  private double score(int i, Request request) {
    Node node = nodes[i];
    double memoryFree = (double) (freeMemory[i] - request.memoryMb()) / node.memoryMb();
    double cpuFree = node.cpuMillis() == 0 ? 0 : (double) (freeCpu[i] - request.cpuMillis()) / node.cpuMillis();
    double leastAllocated = (memoryFree + cpuFree) / 2 * 100;
    double balanced = (1 - Math.abs(memoryFree - cpuFree)) * 100;
    return leastAllocated + balanced;
  }
}

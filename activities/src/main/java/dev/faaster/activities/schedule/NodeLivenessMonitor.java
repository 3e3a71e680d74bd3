package dev.faaster.activities.schedule;

import dev.faaster.registry.InstanceRecord;
import dev.faaster.registry.InstanceRepository;
import dev.faaster.registry.NodeRecord;
import dev.faaster.registry.NodeRepository;
import dev.faaster.registry.SlotRepository;
import io.micronaut.context.annotation.Requires;
import io.micronaut.scheduling.annotation.Scheduled;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Marks a node whose last heartbeat is older than {@code faaster.scheduler.node-timeout} LOST: its
 * instances are marked LOST (the router starts new ones elsewhere on the next request; the node's
 * own reconciler destroys their domains should it come back), its slots are freed in the registry
 * and withdrawn from the free lists. A lost node that heartbeats again is LIVE and its (now free)
 * slots come back with the next reload. The verdict is one conditional UPDATE, so with several
 * control processes exactly one acts on it; each withdraws every LOST node from its own free lists.
 */
@Singleton
@Requires(property = "faaster.roles", pattern = ControlRole.PATTERN)
public class NodeLivenessMonitor {

  private static final Logger log = LoggerFactory.getLogger(NodeLivenessMonitor.class);

  /**
   * What one pass did.
   *
   * @param lostNodes nodes this pass marked LOST
   * @param lostInstances their instances it marked LOST
   */
  public record Result(List<String> lostNodes, List<String> lostInstances) {}

  private final NodeRepository nodes;
  private final SlotRepository slots;
  private final InstanceRepository instances;
  private final SlotTable table;
  private final SchedulerSettings settings;
  private final Clock clock;

  public NodeLivenessMonitor(
      NodeRepository nodes,
      SlotRepository slots,
      InstanceRepository instances,
      SlotTable table,
      SchedulerSettings settings,
      Clock clock) {
    this.nodes = nodes;
    this.slots = slots;
    this.instances = instances;
    this.table = table;
    this.settings = settings;
    this.clock = clock;
  }

  @Scheduled(initialDelay = "${faaster.scheduler.check-interval:2s}", fixedDelay = "${faaster.scheduler.check-interval:2s}")
  void scheduled() {
    try {
      check(clock.instant());
    } catch (RuntimeException e) {
      log.warn("node liveness check failed; the next pass retries: {}", e.getMessage());
    }
  }

  public synchronized Result check(Instant now) {
    Instant cutoff = now.minus(settings.nodeTimeout());
    List<String> lostNodes = new ArrayList<>();
    List<String> lostInstances = new ArrayList<>();
    for (NodeRecord node : nodes.findStale(cutoff)) {
      if (nodes.markLost(node.id(), cutoff) != 1) {
        continue; // it heartbeated meanwhile, or another control process marked it
      }
      lostNodes.add(node.id());
      int before = lostInstances.size();
      for (InstanceRecord instance :
          instances.findByNodeIdAndStateInList(node.id(), List.of(InstanceRecord.STARTING, InstanceRecord.READY))) {
        instances.updateState(instance.id(), InstanceRecord.LOST, now);
        lostInstances.add(instance.id());
      }
      long freed = slots.releaseAllOfNode(node.id());
      log.warn("node {} lost: no heartbeat since {} (timeout {}); {} instances lost, {} slots freed",
          node.id(), node.heartbeatAt(), settings.nodeTimeout(), lostInstances.size() - before, freed);
    }
    for (NodeRecord node : nodes.findByState(NodeRecord.LOST)) {
      table.withdraw(node.id());
    }
    return new Result(lostNodes, lostInstances);
  }
}

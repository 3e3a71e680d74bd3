package dev.faaster.activities.schedule;

import dev.faaster.activities.vm.NodeConfiguration;
import dev.faaster.activities.vm.NodeRole;
import dev.faaster.registry.NodeRecord;
import dev.faaster.registry.NodeRepository;
import dev.faaster.registry.SlotRecord;
import dev.faaster.registry.SlotRepository;
import dev.faaster.workflows.schedule.Slot;
import dev.faaster.workflows.schedule.SlotPlan;
import io.micronaut.context.annotation.Requires;
import io.micronaut.context.event.StartupEvent;
import io.micronaut.runtime.event.annotation.EventListener;
import io.micronaut.scheduling.annotation.Scheduled;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Registers this node with the scheduler at start (its capacity and its slots, cut offline by
 * {@link SlotPlan}) and heartbeats every {@code faaster.node.heartbeat-interval}. The slots are
 * recut only when the plan changed (another capacity or mix), and only free slots are touched: a
 * new plan's slot that overlaps memory an instance still holds is left out until the next recut.
 */
@Singleton
@Requires(property = "faaster.roles", pattern = NodeRole.PATTERN)
public class NodeRegistration {

  private static final Logger log = LoggerFactory.getLogger(NodeRegistration.class);

  private final String nodeId;
  private final NodeSlotsConfiguration settings;
  private final NodeRepository nodes;
  private final SlotRepository slots;
  private final Clock clock;
  private volatile boolean registered;

  public NodeRegistration(
      NodeConfiguration node, NodeSlotsConfiguration settings, NodeRepository nodes, SlotRepository slots, Clock clock) {
    this.nodeId = node.id();
    this.settings = settings;
    this.nodes = nodes;
    this.slots = slots;
    this.clock = clock;
  }

  @EventListener
  void onStartup(StartupEvent event) {
    try {
      SlotPlan plan = register();
      log.info("node {} registered: {} MiB, {} vCPUs, slots {}", nodeId, settings.memoryMb(), settings.vcpus(), plan.signature());
    } catch (RuntimeException e) {
      log.warn("node {} could not register; the next heartbeat retries: {}", nodeId, e.getMessage());
    }
  }

  @Scheduled(fixedDelay = "${faaster.node.heartbeat-interval:2s}")
  void scheduledHeartbeat() {
    try {
      heartbeat();
    } catch (RuntimeException e) {
      log.warn("node {} heartbeat failed: {}", nodeId, e.getMessage());
    }
  }

  /** Tells the control plane this node is alive (registers first if it never did, or its row is gone). */
  public void heartbeat() {
    if (!registered || nodes.heartbeat(nodeId, clock.instant()) == 0) {
      register();
    }
  }

  /** Upserts the node as LIVE and recuts its slots if the plan changed; returns the plan. */
  public synchronized SlotPlan register() {
    SlotPlan plan = SlotPlan.cut(nodeId, settings.capacity(), settings.mix());
    Instant now = clock.instant();
    Optional<NodeRecord> existing = nodes.findById(nodeId);
    String recorded = existing.map(NodeRecord::slotPlan).orElse("");
    Instant registeredAt = existing.map(NodeRecord::registeredAt).orElse(now);
    // Published by the node's HTTP server once it listens (NodeDataPlanePublisher); kept across re-registrations.
    String dataPlaneUrl = existing.map(NodeRecord::dataPlaneUrl).orElse(null);
    // The plan's signature is recorded only once its slots are in: a crash in between recuts again.
    NodeRecord row = new NodeRecord(
        nodeId, settings.zone(), settings.memoryMb(), settings.vcpus(), recorded, NodeRecord.LIVE, now, registeredAt, dataPlaneUrl);
    if (existing.isPresent()) {
      nodes.update(row);
    } else {
      nodes.save(row);
    }
    if (!recorded.equals(plan.signature())) {
      recut(plan);
      nodes.update(new NodeRecord(
          nodeId, settings.zone(), settings.memoryMb(), settings.vcpus(), plan.signature(), NodeRecord.LIVE, now, registeredAt, dataPlaneUrl));
      log.info("node {}: slots cut by plan {} (was '{}')", nodeId, plan.signature(), recorded);
    }
    registered = true;
    return plan;
  }

  private void recut(SlotPlan plan) {
    slots.deleteFreeOfNode(nodeId);
    List<SlotRecord> held = slots.findByNodeId(nodeId);
    Set<String> heldIds = new HashSet<>();
    List<Slot> heldSlots = new ArrayList<>();
    for (SlotRecord record : held) {
      heldIds.add(record.id());
      heldSlots.add(SlotTable.toSlot(record));
    }
    List<SlotRecord> fresh = new ArrayList<>();
    for (Slot slot : plan.slots()) {
      if (!heldIds.contains(slot.id()) && heldSlots.stream().noneMatch(slot::overlaps)) {
        fresh.add(new SlotRecord(slot.id(), nodeId, slot.flavor().memoryMb(), slot.offsetMb(), null, null));
      }
    }
    slots.saveAll(fresh);
  }
}

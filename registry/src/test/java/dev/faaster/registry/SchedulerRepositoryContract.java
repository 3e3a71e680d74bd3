package dev.faaster.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import jakarta.inject.Inject;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * What the scheduler's tables promise ({@code nodes}, {@code slots}): the conditional statements
 * that keep racing control processes from handing out one slot twice. {@link H2SchedulerRepositoryTest}
 * runs it on H2 in MySQL mode, {@link MariaDbSchedulerRepositoryIT} on MariaDB. Every test makes
 * uniquely named nodes and deletes them (their slots cascade).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class SchedulerRepositoryContract {

  @Inject NodeRepository nodes;
  @Inject SlotRepository slots;

  private final List<String> createdNodes = new ArrayList<>();

  @AfterEach
  void deleteWhatTheTestMade() {
    createdNodes.forEach(nodes::deleteById);
    createdNodes.clear();
  }

  @Test
  void aFreeSlotGoesToOneInstanceOnly() {
    NodeRecord node = newNode(now());
    SlotRecord slot = newSlot(node, 128, 0);

    assertThat(slots.reserve(slot.id(), id(), now())).isEqualTo(1);
    assertThat(slots.reserve(slot.id(), id(), now())).as("already held").isZero();
  }

  @Test
  void anInstanceHoldsAtMostOneSlot() {
    NodeRecord node = newNode(now());
    SlotRecord a = newSlot(node, 128, 0);
    SlotRecord b = newSlot(node, 128, 128);
    String instance = id();
    slots.reserve(a.id(), instance, now());

    assertIntegrityViolation(catchThrowable(() -> slots.reserve(b.id(), instance, now())));
    assertThat(slots.findByInstanceId(instance)).map(SlotRecord::id).contains(a.id());
    assertThat(slots.findById(b.id())).map(SlotRecord::instanceId).isEmpty();
  }

  @Test
  void aSlotOfALostNodeIsNotReserved() {
    Instant now = now();
    NodeRecord node = newNode(now.minus(Duration.ofMinutes(1)));
    SlotRecord slot = newSlot(node, 256, 0);

    assertThat(nodes.markLost(node.id(), now.minusSeconds(10))).isEqualTo(1);

    assertThat(slots.reserve(slot.id(), id(), now)).isZero();
    assertThat(slots.findOnLiveNodes()).extracting(SlotRecord::id).doesNotContain(slot.id());
  }

  @Test
  void onlyAStaleLiveNodeIsMarkedLostAndAHeartbeatBringsItBack() {
    Instant now = now();
    NodeRecord fresh = newNode(now);
    NodeRecord stale = newNode(now.minusSeconds(30));
    Instant cutoff = now.minusSeconds(10);

    assertThat(nodes.findStale(cutoff)).extracting(NodeRecord::id).contains(stale.id()).doesNotContain(fresh.id());
    assertThat(nodes.markLost(fresh.id(), cutoff)).isZero();
    assertThat(nodes.markLost(stale.id(), cutoff)).isEqualTo(1);
    assertThat(nodes.markLost(stale.id(), cutoff)).as("already lost").isZero();
    assertThat(nodes.findByState(NodeRecord.LOST)).extracting(NodeRecord::id).contains(stale.id());

    assertThat(nodes.heartbeat(stale.id(), now)).isEqualTo(1);
    assertThat(nodes.findById(stale.id())).map(NodeRecord::state).contains(NodeRecord.LIVE);
    assertThat(nodes.findById(stale.id())).map(NodeRecord::heartbeatAt).contains(now);
    assertThat(nodes.heartbeat("no-such-node-" + id(), now)).isZero();
  }

  @Test
  void releaseFreesOnlyTheHoldersSlot() {
    NodeRecord node = newNode(now());
    SlotRecord slot = newSlot(node, 512, 0);
    String instance = id();
    slots.reserve(slot.id(), instance, now());

    assertThat(slots.release(slot.id(), id())).as("another instance").isZero();
    assertThat(slots.release(slot.id(), instance)).isEqualTo(1);
    assertThat(slots.findByInstanceId(instance)).isEmpty();
    assertThat(slots.reserve(slot.id(), id(), now())).as("free again").isEqualTo(1);
  }

  @Test
  void onlyFreeSlotsAreDeleted() {
    NodeRecord node = newNode(now());
    SlotRecord held = newSlot(node, 128, 0);
    SlotRecord free = newSlot(node, 128, 128);
    SlotRecord free2 = newSlot(node, 256, 256);
    slots.reserve(held.id(), id(), now());

    assertThat(slots.deleteIfFree(held.id())).isZero();
    assertThat(slots.deleteIfFree(free.id())).isEqualTo(1);
    assertThat(slots.deleteFreeOfNode(node.id())).isEqualTo(1);
    assertThat(slots.findByNodeId(node.id())).extracting(SlotRecord::id).containsExactly(held.id());
    assertThat(slots.existsById(free2.id())).isFalse();
  }

  @Test
  void aLostNodesSlotsAreAllFreedAndDeletingANodeDeletesItsSlots() {
    NodeRecord node = newNode(now());
    SlotRecord a = newSlot(node, 128, 0);
    SlotRecord b = newSlot(node, 128, 128);
    newSlot(node, 256, 256);
    slots.reserve(a.id(), id(), now());
    slots.reserve(b.id(), id(), now());

    assertThat(slots.releaseAllOfNode(node.id())).isEqualTo(2);
    assertThat(slots.findByNodeId(node.id())).allSatisfy(slot -> assertThat(slot.instanceId()).isNull());

    nodes.deleteById(node.id());
    assertThat(slots.findByNodeId(node.id())).isEmpty();
  }

  @Test
  void slotsOfLiveNodesAreListedWithTheirHolder() {
    NodeRecord node = newNode(now());
    SlotRecord slot = newSlot(node, 1024, 0);
    String instance = id();
    Instant at = now();
    slots.reserve(slot.id(), instance, at);

    assertThat(slots.findOnLiveNodes()).filteredOn(s -> s.id().equals(slot.id()))
        .containsExactly(new SlotRecord(slot.id(), node.id(), 1024, 0, instance, at));
  }

  @Test
  void aNodePublishesWhereItServesInvocations() {
    NodeRecord node = newNode(now());
    assertThat(nodes.findById(node.id()).orElseThrow().dataPlaneUrl()).isNull();

    long published = nodes.publishDataPlane(node.id(), "http://10.0.0.7:8080");
    long unknown = nodes.publishDataPlane("node-nobody-" + id(), "http://10.0.0.8:8080");

    assertThat(published).isEqualTo(1);
    assertThat(unknown).isZero();
    assertThat(nodes.findById(node.id()).orElseThrow().dataPlaneUrl()).isEqualTo("http://10.0.0.7:8080");
  }

  // ---- fixtures

  private NodeRecord newNode(Instant heartbeatAt) {
    NodeRecord node = nodes.save(new NodeRecord("node-" + id(), "zone-a", 4096, 4, "1024x4", NodeRecord.LIVE, heartbeatAt, heartbeatAt, null));
    createdNodes.add(node.id());
    return node;
  }

  private SlotRecord newSlot(NodeRecord node, int flavorMb, int offsetMb) {
    return slots.save(new SlotRecord(node.id() + "/" + flavorMb + "@" + offsetMb, node.id(), flavorMb, offsetMb, null, null));
  }

  private static Instant now() {
    return Instant.now().truncatedTo(ChronoUnit.MILLIS);
  }

  private static String id() {
    return UUID.randomUUID().toString();
  }

  private static void assertIntegrityViolation(Throwable thrown) {
    assertThat(thrown).as("the write should have been refused").isNotNull();
    Throwable cause = thrown;
    while (cause != null && !(cause instanceof SQLException)) {
      cause = cause.getCause();
    }
    assertThat(cause).as("SQLException under %s", thrown).isInstanceOf(SQLException.class);
    assertThat(((SQLException) cause).getSQLState()).startsWith("23");
  }
}

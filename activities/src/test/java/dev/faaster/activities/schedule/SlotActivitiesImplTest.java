package dev.faaster.activities.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.faaster.activities.RegistryAndStoreFixture;
import dev.faaster.registry.InstanceRecord;
import dev.faaster.registry.InstanceRepository;
import dev.faaster.registry.NodeRecord;
import dev.faaster.registry.NodeRepository;
import dev.faaster.registry.SlotRecord;
import dev.faaster.registry.SlotRepository;
import dev.faaster.workflows.coldstart.ColdStartFailureTypes;
import dev.faaster.workflows.schedule.SlotGrant;
import dev.faaster.workflows.schedule.SlotRebalancer;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import io.micronaut.test.support.TestPropertyProvider;
import io.temporal.failure.ApplicationFailure;
import jakarta.inject.Inject;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Slots reserved and released against the registry on H2, nodes registered and lost as node agents
 * and the control plane do. Scheduled passes are off (1 h): tests drive them and the clock.
 */
// Not transactional: the racing processes read and write on their own connections, and must see
// the nodes the test registered.
@MicronautTest(environments = "test", transactional = false)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SlotActivitiesImplTest implements TestPropertyProvider {

  @Inject SlotActivitiesImpl activities;
  @Inject SlotTable table;
  @Inject NodeLivenessMonitor monitor;
  @Inject SlotRebalancing rebalancing;
  @Inject NodeRepository nodes;
  @Inject SlotRepository slots;
  @Inject InstanceRepository instances;

  final MutableClock clock = new MutableClock(Instant.now().truncatedTo(ChronoUnit.MILLIS));

  @Override
  public Map<String, String> getProperties() {
    return Map.of(
        "faaster.object-store.endpoint", RegistryAndStoreFixture.endpoint(),
        "faaster.scheduler.check-interval", "1h",
        "faaster.scheduler.resync-interval", "1h",
        "faaster.scheduler.rebalance-interval", "1h",
        "faaster.scheduler.reload-on-miss-after", "0s");
  }

  @BeforeEach
  void noNodes() {
    slots.deleteAll();
    nodes.deleteAll();
    clock.set(Instant.now().truncatedTo(ChronoUnit.MILLIS));
    table.reload();
  }

  private NodeRegistration node(String id, int memoryMb, String mix) {
    NodeRegistration registration = SchedulerFixture.node(id, memoryMb, mix, nodes, slots, clock);
    registration.register();
    table.reload();
    return registration;
  }

  private static String instance() {
    return UUID.randomUUID().toString();
  }

  @Test
  void reserveTakesASlotOfTheSmallestFlavorAndARetryGetsTheSameSlot() {
    node("n1", 1024, "128:1,512:1");
    String instance = instance();

    SlotGrant grant = activities.reserve(instance, 300);

    assertThat(grant.flavorMb()).isEqualTo(512);
    assertThat(grant.nodeId()).isEqualTo("n1");
    assertThat(activities.reserve(instance, 300)).as("a retried reserve").isEqualTo(grant);
    assertThat(slots.findByInstanceId(instance)).map(SlotRecord::id).contains(grant.slotId());
    assertThat(slots.findAll()).filteredOn(s -> s.instanceId() != null).hasSize(1);
  }

  @Test
  void releaseFreesTheSlotAndReleasingNothingIsANoOp() {
    node("n1", 128, "128:1");
    String first = instance();
    SlotGrant grant = activities.reserve(first, 128);

    activities.release(first);
    activities.release(first);
    activities.release(instance());

    assertThat(slots.findById(grant.slotId())).map(SlotRecord::instanceId).isEmpty();
    assertThat(activities.reserve(instance(), 128).slotId()).as("the only slot, free again").isEqualTo(grant.slotId());
  }

  @Test
  void noCapacityIsNonRetryableAndNamesTheFlavor() {
    node("n1", 256, "128:1");
    activities.reserve(instance(), 128);
    activities.reserve(instance(), 128);

    ApplicationFailure failure = catchThrowableOfType(() -> activities.reserve(instance(), 100), ApplicationFailure.class);

    assertThat(failure.getType()).isEqualTo(ColdStartFailureTypes.NO_CAPACITY);
    assertThat(failure.isNonRetryable()).isTrue();
    assertThat(failure.getOriginalMessage()).contains("no free 128 MiB slot on any live node");
  }

  @Test
  void memoryAboveTheLargestFlavorIsRefusedWithoutTakingASlot() {
    node("n1", 1024, "1024:1");

    ApplicationFailure failure = catchThrowableOfType(() -> activities.reserve(instance(), 2048), ApplicationFailure.class);

    assertThat(failure.getType()).isEqualTo(dev.faaster.workflows.coldstart.ColdStartFailureTypes.UNSUPPORTED_MEMORY);
    assertThat(failure.isNonRetryable()).isTrue();
    assertThat(failure.getOriginalMessage()).contains("2048 MiB exceeds the largest flavor");
    assertThat(slots.findAll()).allSatisfy(s -> assertThat(s.instanceId()).isNull());
  }

  @Test
  void twoControlProcessesRacingNeverGrantOneSlotTwice() throws Exception {
    node("n1", 2560, "128:1");
    node("n2", 2560, "128:1");
    List<SlotActivitiesImpl> processes = List.of(
        new SlotActivitiesImpl(new SlotTable(slots, Clock.systemUTC(), Duration.ZERO), slots, Clock.systemUTC()),
        new SlotActivitiesImpl(new SlotTable(slots, Clock.systemUTC(), Duration.ZERO), slots, Clock.systemUTC()));
    List<String> instanceIds = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      instanceIds.add(instance());
    }
    // Both processes reserve every instance (as a retry landing on the other process would).
    Map<String, List<String>> grantsByInstance = new ConcurrentHashMap<>();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<Integer>> noCapacity = new ArrayList<>();
    try {
      for (int t = 0; t < 4; t++) {
        SlotActivitiesImpl process = processes.get(t % 2);
        List<String> order = new ArrayList<>(instanceIds);
        if (t >= 2) {
          java.util.Collections.reverse(order);
        }
        noCapacity.add(pool.submit(() -> {
          start.await();
          int refused = 0;
          for (String id : order) {
            try {
              SlotGrant grant = process.reserve(id, 128);
              grantsByInstance.computeIfAbsent(id, k -> java.util.Collections.synchronizedList(new ArrayList<>())).add(grant.slotId());
            } catch (ApplicationFailure e) {
              assertThat(e.getType()).isEqualTo(ColdStartFailureTypes.NO_CAPACITY);
              refused++;
            }
          }
          return refused;
        }));
      }
      start.countDown();
      for (Future<Integer> f : noCapacity) {
        assertThat(f.get(60, TimeUnit.SECONDS)).as("refused reserves of one thread: 50 instances, 40 slots").isGreaterThanOrEqualTo(10);
      }
    } finally {
      pool.shutdownNow();
    }

    Map<String, String> holderBySlot = new HashMap<>();
    for (var entry : grantsByInstance.entrySet()) {
      assertThat(entry.getValue()).as("every grant of instance %s names one slot", entry.getKey()).containsOnly(entry.getValue().get(0));
      String previous = holderBySlot.put(entry.getValue().get(0), entry.getKey());
      assertThat(previous).as("slot %s granted to two instances", entry.getValue().get(0)).isNull();
    }
    assertThat(holderBySlot).as("all 40 slots granted, each once").hasSize(40);
    for (var entry : holderBySlot.entrySet()) {
      assertThat(slots.findById(entry.getKey())).map(SlotRecord::instanceId).contains(entry.getValue());
    }
  }

  @Test
  void aSlotFreedByAnotherControlProcessIsFoundAfterAReload() {
    node("n1", 128, "128:1");
    SlotActivitiesImpl other = new SlotActivitiesImpl(new SlotTable(slots, Clock.systemUTC(), Duration.ZERO), slots, Clock.systemUTC());
    String first = instance();
    SlotGrant grant = activities.reserve(first, 128);

    other.release(first);

    assertThat(activities.reserve(instance(), 128).slotId()).isEqualTo(grant.slotId());
  }

  @Test
  void aNodeThatStopsHeartbeatingLosesItsSlotsAndItsInstances() {
    Instant start = clock.instant();
    NodeRegistration quiet = node("quiet", 1024, "512:1");
    NodeRegistration alive = node("alive", 256, "128:1");
    table.reload();
    String onQuiet = instance();
    SlotGrant grant = activities.reserve(onQuiet, 512);
    assertThat(grant.nodeId()).isEqualTo("quiet");
    InstanceRecord record = instances.save(new InstanceRecord(
        onQuiet, "quiet", "template", "faaster-quiet-" + onQuiet, UUID.randomUUID().toString(), "52:54:00:00:00:01",
        "h", null, InstanceRecord.READY, start, start));

    clock.advance(Duration.ofSeconds(8));
    alive.heartbeat();
    assertThat(monitor.check(clock.instant()).lostNodes()).as("8 s: within the 10 s timeout").isEmpty();
    clock.advance(Duration.ofSeconds(5));
    alive.heartbeat();
    NodeLivenessMonitor.Result result = monitor.check(clock.instant());

    assertThat(result.lostNodes()).containsExactly("quiet");
    assertThat(result.lostInstances()).containsExactly(record.id());
    assertThat(instances.findById(record.id())).map(InstanceRecord::state).contains(InstanceRecord.LOST);
    assertThat(nodes.findById("quiet")).map(NodeRecord::state).contains(NodeRecord.LOST);
    assertThat(slots.findByInstanceId(onQuiet)).as("its slot is freed").isEmpty();
    assertThat(catchThrowableOfType(() -> activities.reserve(instance(), 512), ApplicationFailure.class).getType())
        .as("the lost node's free 512 MiB slots are withdrawn").isEqualTo(ColdStartFailureTypes.NO_CAPACITY);
    assertThat(activities.reserve(instance(), 128).nodeId()).isEqualTo("alive");
    assertThat(monitor.check(clock.instant()).lostNodes()).as("lost once").isEmpty();

    // It comes back: LIVE again, and its slots with the next reload.
    quiet.heartbeat();
    table.reload();
    assertThat(activities.reserve(instance(), 512).nodeId()).isEqualTo("quiet");
  }

  @Test
  void reRegisteringWithTheSamePlanLeavesTheSlotsAlone() {
    NodeRegistration registration = node("n1", 512, "128:1");
    String holder = instance();
    SlotGrant grant = activities.reserve(holder, 128);
    slots.deleteById(slots.findByNodeId("n1").stream().filter(s -> s.instanceId() == null).findFirst().orElseThrow().id());
    int before = slots.findByNodeId("n1").size();

    registration.register();

    assertThat(slots.findByNodeId("n1")).as("an unchanged plan doesn't recut").hasSize(before);
    assertThat(slots.findByInstanceId(holder)).map(SlotRecord::id).contains(grant.slotId());
  }

  @Test
  void reRegisteringKeepsTheDataPlaneTheNodePublished() {
    NodeRegistration registration = node("n1", 512, "128:1");
    assertThat(nodes.publishDataPlane("n1", "http://10.1.2.3:8080")).isEqualTo(1);

    registration.register();
    SchedulerFixture.node("n1", 1024, "256:1", nodes, slots, clock).register();

    assertThat(nodes.findById("n1").orElseThrow().dataPlaneUrl()).isEqualTo("http://10.1.2.3:8080");
  }

  @Test
  void aChangedPlanRecutsOnlyFreeSlotsAndNeverOverlapsAHeldOne() {
    node("n1", 1024, "128:1");
    String holder = instance();
    SlotGrant held = activities.reserve(holder, 128);
    assertThat(slots.findByNodeId("n1")).hasSize(8);

    NodeRegistration bigger = SchedulerFixture.node("n1", 2048, "1024:1", nodes, slots, clock);
    bigger.register();

    List<SlotRecord> after = slots.findByNodeId("n1");
    assertThat(slots.findByInstanceId(holder)).map(SlotRecord::id).contains(held.slotId());
    // Plan: 1024@0 and 1024@1024; the held 128 sits inside one of them, so only the other is cut.
    assertThat(after).filteredOn(s -> s.instanceId() == null).extracting(SlotRecord::flavorMb).containsExactly(1024);
    assertThat(after).hasSize(2);
    assertThat(nodes.findById("n1")).map(NodeRecord::slotPlan).contains("1024x2,512x0,256x0,128x0");
    assertThat(nodes.findById("n1")).map(NodeRecord::memoryMb).contains(2048);
  }

  @Test
  void aRebalanceSplitsALargeFreeSlotForAShortFlavor() {
    node("n1", 2048, "1024:1");
    table.reload();
    assertThat(catchThrowableOfType(() -> activities.reserve(instance(), 128), ApplicationFailure.class).getType())
        .isEqualTo(ColdStartFailureTypes.NO_CAPACITY);

    List<SlotRebalancer.Action> applied = rebalancing.rebalance();

    assertThat(applied).isNotEmpty().allSatisfy(a -> assertThat(a).isInstanceOf(SlotRebalancer.Split.class));
    SlotGrant grant = activities.reserve(instance(), 128);
    assertThat(grant.flavorMb()).isEqualTo(128);
    assertThat(slots.findById(grant.slotId())).isPresent();
    int memory = slots.findByNodeId("n1").stream().mapToInt(SlotRecord::flavorMb).sum();
    assertThat(memory).as("splits keep the node's memory").isEqualTo(2048);
  }
}

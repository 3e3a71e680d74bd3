package dev.faaster.bench;

import dev.faaster.workflows.schedule.FilterScoreScheduler;
import dev.faaster.workflows.schedule.Flavor;
import dev.faaster.workflows.schedule.SlotPlan;
import dev.faaster.workflows.schedule.SlotScheduler;
import io.micronaut.json.JsonMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * {@code ./faaster bench scheduler}: placements per second of the slot scheduler (free lists per
 * flavor, no filtering or scoring) against a classic filter-and-score scheduler (resource fit, zone
 * affinity, anti-affinity, least-allocated + balanced scoring over every node), side by side in one
 * run, on the same cluster and the same request stream.
 *
 * <p>Cluster: {@code nodes} nodes of 100 slots each (64 x 128, 24 x 256, 8 x 512, 4 x 1024 MiB:
 * 22,528 MiB and 22 vCPUs per node, 4 zones). Requests: one per slot, flavors shuffled, so every
 * request has a place; for the classic scheduler a quarter require a zone and half ask to be spread
 * (one instance of their function per node). A round places the whole stream into an empty cluster
 * (building the cluster is outside the timing); rounds alternate between the two schedulers so
 * machine noise falls on both. Figures: placements per second, p50 over the rounds (and min, max).
 * The pure policy classes are timed in one thread: no registry, no Temporal (the registry's
 * conditional UPDATE is measured by the cold start benchmark's stage timings).
 */
public final class SchedulerBenchmark {

  private static final Map<Flavor, Integer> SLOTS_PER_NODE =
      Map.of(Flavor.MB_128, 64, Flavor.MB_256, 24, Flavor.MB_512, 8, Flavor.MB_1024, 4);
  private static final int ZONES = 4;
  private static final int FUNCTIONS = 20_000;

  /**
   * What a run measured.
   *
   * @param nodes nodes in the cluster
   * @param slots slots (and requests) per round
   * @param rounds measured rounds per scheduler
   * @param slotPlacementsPerSecond the slot scheduler's rounds, placements per second
   * @param filterScorePlacementsPerSecond the classic scheduler's rounds, placements per second
   * @param filterScoreUnplaced requests the classic scheduler could not place in its last round
   *     (anti-affinity and zones can strand capacity it has)
   */
  public record Figures(
      int nodes,
      int slots,
      int rounds,
      List<Double> slotPlacementsPerSecond,
      List<Double> filterScorePlacementsPerSecond,
      int filterScoreUnplaced) {

    public double slotP50() {
      return Percentiles.percentile(slotPlacementsPerSecond, 50);
    }

    public double filterScoreP50() {
      return Percentiles.percentile(filterScorePlacementsPerSecond, 50);
    }

    /** For a benchmark report: {@code slot_scheduler}, {@code filter_score}, the speed-up. */
    public Map<String, Object> asMap() {
      Map<String, Object> map = new LinkedHashMap<>();
      map.put("nodes", nodes);
      map.put("slots", slots);
      map.put("rounds", rounds);
      map.put("slot_scheduler_placements_per_s", rates(slotPlacementsPerSecond));
      map.put("filter_score_placements_per_s", rates(filterScorePlacementsPerSecond));
      map.put("filter_score_unplaced", filterScoreUnplaced);
      map.put("speedup_p50", Math.round(slotP50() / filterScoreP50() * 10) / 10.0);
      map.put("slot_scheduler_us_per_placement_p50", Math.round(1e6 / slotP50() * 1000) / 1000.0);
      map.put("filter_score_us_per_placement_p50", Math.round(1e6 / filterScoreP50() * 1000) / 1000.0);
      map.put("target_placements_per_s", 100_000);
      map.put("target_met", slotP50() >= 100_000);
      return map;
    }

    private static Map<String, Object> rates(List<Double> values) {
      Map<String, Object> map = new LinkedHashMap<>();
      map.put("p50", Math.round(Percentiles.percentile(values, 50)));
      map.put("min", Math.round(Collections.min(values)));
      map.put("max", Math.round(Collections.max(values)));
      return map;
    }
  }

  private SchedulerBenchmark() {}

  /** 1,000 nodes x 100 slots (100,000 placements a round), 2 warm-up and 5 measured rounds each. */
  public static Figures measure() {
    return measure(1_000, 2, 5);
  }

  public static Figures measure(int nodes, int warmup, int rounds) {
    List<Flavor> stream = requestStream(nodes, new Random(42));
    List<FilterScoreScheduler.Request> requests = classicRequests(stream, new Random(43));
    List<FilterScoreScheduler.Node> classicNodes = classicNodes(nodes);
    List<Double> slotRates = new ArrayList<>();
    List<Double> classicRates = new ArrayList<>();
    int unplaced = 0;
    long sink = 0;
    for (int round = 0; round < warmup + rounds; round++) {
      SlotScheduler slots = new SlotScheduler();
      for (int n = 0; n < nodes; n++) {
        slots.addAll(SlotPlan.of("node-" + n, SLOTS_PER_NODE));
      }
      long t0 = System.nanoTime();
      for (Flavor flavor : stream) {
        sink += slots.take(flavor).offsetMb();
      }
      long slotNanos = System.nanoTime() - t0;
      if (slots.freeCounts().values().stream().anyMatch(free -> free != 0)) {
        throw new IllegalStateException("the slot scheduler left slots free: the stream doesn't match the cluster");
      }

      FilterScoreScheduler classic = new FilterScoreScheduler(classicNodes);
      int missed = 0;
      long t1 = System.nanoTime();
      for (FilterScoreScheduler.Request request : requests) {
        if (classic.place(request) == null) {
          missed++;
        }
      }
      long classicNanos = System.nanoTime() - t1;
      unplaced = missed;

      if (round >= warmup) {
        slotRates.add(stream.size() / (slotNanos / 1e9));
        classicRates.add(requests.size() / (classicNanos / 1e9));
      }
    }
    if (sink == 42) {
      System.out.print(""); // keeps the slot loop's result alive
    }
    return new Figures(nodes, stream.size(), rounds, slotRates, classicRates, unplaced);
  }

  public static void main(String[] args) throws Exception {
    int nodes = Integer.parseInt(System.getenv().getOrDefault("FAASTER_BENCH_NODES", "1000"));
    int rounds = Integer.parseInt(System.getenv().getOrDefault("FAASTER_BENCH_ROUNDS", "5"));
    Path results = Path.of(System.getenv().getOrDefault("FAASTER_BENCH_RESULTS", "bench/results"));
    JsonMapper json = JsonMapper.createDefault();

    Figures figures = measure(nodes, 2, rounds);

    BenchmarkReport report = new BenchmarkReport("scheduler")
        .parameter("nodes", nodes)
        .parameter("slots_per_node", SLOTS_PER_NODE.values().stream().mapToInt(Integer::intValue).sum())
        .parameter("slot_mix_per_node", "64x128,24x256,8x512,4x1024 MiB")
        .parameter("zones", ZONES)
        .parameter("functions", FUNCTIONS)
        .parameter("classic_requests", "25% zone affinity, 50% anti-affinity per function")
        .parameter("warmup_rounds", 2)
        .parameter("rounds", rounds);
    figures.asMap().forEach(report::figure);
    Path file = report.write(json, results);
    System.out.printf("%,d slots on %,d nodes, p50 of %d rounds:%n", figures.slots(), nodes, rounds);
    System.out.printf("  slot scheduler    %,12.0f placements/s%n", figures.slotP50());
    System.out.printf("  filter and score  %,12.0f placements/s (%d unplaced)%n", figures.filterScoreP50(), figures.filterScoreUnplaced());
    System.out.printf("  speed-up          %,12.1f x   (target: >= 100,000 placements/s: %s)%n",
        figures.slotP50() / figures.filterScoreP50(), figures.slotP50() >= 100_000 ? "met" : "MISSED");
    System.out.println("wrote " + file);
  }

  /** One flavor per slot of the cluster, shuffled. */
  private static List<Flavor> requestStream(int nodes, Random random) {
    List<Flavor> stream = new ArrayList<>();
    for (int n = 0; n < nodes; n++) {
      for (var entry : new EnumMap<>(SLOTS_PER_NODE).entrySet()) {
        for (int i = 0; i < entry.getValue(); i++) {
          stream.add(entry.getKey());
        }
      }
    }
    Collections.shuffle(stream, random);
    return stream;
  }

  private static List<FilterScoreScheduler.Request> classicRequests(List<Flavor> stream, Random random) {
    List<FilterScoreScheduler.Request> requests = new ArrayList<>(stream.size());
    for (Flavor flavor : stream) {
      int memory = flavor.memoryMb();
      String zone = random.nextInt(4) == 0 ? "zone-" + random.nextInt(ZONES) : null;
      requests.add(new FilterScoreScheduler.Request(
          "fn-" + random.nextInt(FUNCTIONS), memory, cpuMillis(memory), zone, random.nextBoolean()));
    }
    return requests;
  }

  private static List<FilterScoreScheduler.Node> classicNodes(int nodes) {
    int memory = SLOTS_PER_NODE.entrySet().stream().mapToInt(e -> e.getKey().memoryMb() * e.getValue()).sum();
    List<FilterScoreScheduler.Node> list = new ArrayList<>(nodes);
    for (int n = 0; n < nodes; n++) {
      list.add(new FilterScoreScheduler.Node("node-" + n, "zone-" + (n % ZONES), memory, cpuMillis(memory)));
    }
    return list;
  }

  /** CPU in proportion to memory, as the slots get it: 1,024 MiB per vCPU. */
  private static int cpuMillis(int memoryMb) {
    return memoryMb * 1000 / 1024;
  }
}

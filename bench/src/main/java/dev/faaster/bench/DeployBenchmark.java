package dev.faaster.bench;

import io.micronaut.json.JsonMapper;
import io.micronaut.json.tree.JsonNode;
import io.temporal.api.enums.v1.EventType;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.client.WorkflowClient;
import io.temporal.common.WorkflowExecutionHistory;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * {@code ./faaster bench deploy}: what a publish costs and how much of it is durable orchestration.
 * Side by side in one run: end-to-end publish latency through the HTTP API (?wait=true), the
 * workflow's duration and, from its history, the time spent inside activities; the difference is
 * what Temporal's durability adds. Also code upload latency for a 1 MiB package.
 */
public final class DeployBenchmark {

  public static void main(String[] args) throws Exception {
    String temporal = System.getenv().getOrDefault("FAASTER_BENCH_TEMPORAL_ADDRESS", "127.0.0.1:7253");
    int runs = Integer.parseInt(System.getenv().getOrDefault("FAASTER_BENCH_RUNS", "30"));
    int warmup = 3;
    Path data = Files.createTempDirectory("faaster-bench-deploy");
    Path results = Path.of(System.getenv().getOrDefault("FAASTER_BENCH_RESULTS", "bench/results"));

    try (PlatformUnderTest platform = new PlatformUnderTest(data, temporal)) {
      JsonMapper json = platform.context().getBean(JsonMapper.class);
      WorkflowClient workflows = platform.context().getBean(WorkflowClient.class);
      String tenantId = field(json, platform.send("POST", "/v1/tenants", platform.adminToken(), "application/json",
          ("{\"name\":\"bench-" + System.currentTimeMillis() + "\"}").getBytes()).body(), "id");
      String token = field(json, platform.send("POST", "/v1/tenants/" + tenantId + "/tokens", platform.adminToken(),
          "application/json", "{\"description\":\"bench\"}".getBytes()).body(), "token");

      List<Double> upload = new ArrayList<>();
      List<Double> publish = new ArrayList<>();
      List<Double> workflowDuration = new ArrayList<>();
      List<Double> activityWork = new ArrayList<>();
      List<Double> overhead = new ArrayList<>();
      Map<String, List<Double>> perActivity = new LinkedHashMap<>();
      Random random = new Random(42);

      for (int i = 0; i < warmup + runs; i++) {
        boolean measured = i >= warmup;
        String name = "fn-" + i;
        String body = "{\"name\":\"" + name + "\",\"runtime\":\"provided\"}";
        platform.send("POST", "/v1/functions", token, "application/json", body.getBytes());
        byte[] zip = zipOf(random, 1 << 20);

        long t0 = System.nanoTime();
        platform.send("PUT", "/v1/functions/" + name + "/code", token, "application/zip", zip);
        long t1 = System.nanoTime();
        String deployment = platform.send("POST", "/v1/functions/" + name + "/versions?wait=true", token,
            "application/json", "{}".getBytes()).body();
        long t2 = System.nanoTime();

        String workflowId = field(json, platform.send("GET", "/v1/functions/" + name + "/deployments/1", token, null, null).body(), "workflowId");
        WorkflowExecutionHistory history = workflows.fetchHistory(workflowId);
        Timings timings = Timings.of(history.getEvents());
        if (measured) {
          upload.add((t1 - t0) / 1e6);
          publish.add((t2 - t1) / 1e6);
          workflowDuration.add(timings.workflowMillis);
          activityWork.add(timings.activityMillis);
          overhead.add(timings.workflowMillis - timings.activityMillis);
          timings.perActivity.forEach((type, ms) -> perActivity.computeIfAbsent(type, k -> new ArrayList<>()).add(ms));
        }
        System.out.printf("  run %d/%d%s: upload %.1f ms, publish %.1f ms (activities %.1f ms of a %.1f ms workflow)%n",
            i + 1, warmup + runs, measured ? "" : " (warm-up)", (t1 - t0) / 1e6, (t2 - t1) / 1e6,
            timings.activityMillis, timings.workflowMillis);
        if (!"1".equals(field(json, deployment, "version"))) {
          throw new IllegalStateException("publish did not answer version 1: " + deployment);
        }
      }

      BenchmarkReport report = new BenchmarkReport("deploy")
          .parameter("runs", runs)
          .parameter("warmupRuns", warmup)
          .parameter("packageBytes", 1 << 20)
          .parameter("temporal", temporal)
          .figure("upload_1MiB_ms", Percentiles.summary(upload))
          .figure("publish_e2e_ms", Percentiles.summary(publish))
          .figure("workflow_duration_ms", Percentiles.summary(workflowDuration))
          .figure("activity_work_ms", Percentiles.summary(activityWork))
          .figure("orchestration_overhead_ms", Percentiles.summary(overhead));
      Map<String, Object> activities = new LinkedHashMap<>();
      perActivity.forEach((type, values) -> activities.put(type, Percentiles.summary(values)));
      report.figure("activity_ms", activities);
      double p50Publish = Percentiles.percentile(publish, 50);
      double p50Work = Percentiles.percentile(activityWork, 50);
      report.figure("publish_to_activity_work_ratio_p50", Percentiles.round(p50Publish / p50Work));
      Path file = report.write(json, results);

      System.out.println();
      System.out.printf("deploy benchmark (%d runs after %d warm-up, 1 MiB package)%n", runs, warmup);
      System.out.printf("  %-28s %10s %10s%n", "", "p50 ms", "p99 ms");
      print("code upload (1 MiB)", upload);
      print("publish, end to end", publish);
      print("  deploy workflow", workflowDuration);
      print("    inside activities", activityWork);
      print("    orchestration", overhead);
      perActivity.forEach((type, values) -> print("      " + type, values));
      System.out.printf("  publish / activity work (p50): %.2f%n", p50Publish / p50Work);
      System.out.println("wrote " + file);
    }
    System.exit(0);
  }

  private static void print(String label, List<Double> values) {
    System.out.printf("  %-28s %10.1f %10.1f%n", label, Percentiles.percentile(values, 50), Percentiles.percentile(values, 99));
  }

  private static String field(JsonMapper json, String body, String name) throws IOException {
    JsonNode node = json.readValue(body, JsonNode.class);
    JsonNode value = node.get(name);
    if (value == null) {
      throw new IllegalStateException("no '" + name + "' in " + body);
    }
    return value.isNumber() ? String.valueOf(value.getNumberValue()) : value.getStringValue();
  }

  /** A zip of one entry of incompressible bytes, so the package is really {@code size} bytes. */
  static byte[] zipOf(Random random, int size) throws IOException {
    byte[] content = new byte[size];
    random.nextBytes(content);
    ByteArrayOutputStream out = new ByteArrayOutputStream(size + 1024);
    try (ZipOutputStream zip = new ZipOutputStream(out)) {
      zip.putNextEntry(new ZipEntry("bootstrap"));
      zip.write(content);
      zip.closeEntry();
    }
    return out.toByteArray();
  }

  /** Durations read off a workflow history: whole workflow, and time inside each activity. */
  private record Timings(double workflowMillis, double activityMillis, Map<String, Double> perActivity) {

    static Timings of(List<HistoryEvent> events) {
      Map<Long, String> typeByScheduled = new HashMap<>();
      Map<Long, Long> startedAt = new HashMap<>();
      Map<String, Double> perActivity = new LinkedHashMap<>();
      long first = millis(events.get(0));
      long last = millis(events.get(events.size() - 1));
      double inside = 0;
      for (HistoryEvent event : events) {
        if (event.getEventType() == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) {
          typeByScheduled.put(event.getEventId(), event.getActivityTaskScheduledEventAttributes().getActivityType().getName());
        } else if (event.getEventType() == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED) {
          startedAt.put(event.getActivityTaskStartedEventAttributes().getScheduledEventId(), millis(event));
        } else if (event.getEventType() == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED) {
          long scheduled = event.getActivityTaskCompletedEventAttributes().getScheduledEventId();
          double ms = millis(event) - startedAt.getOrDefault(scheduled, millis(event));
          inside += ms;
          perActivity.merge(typeByScheduled.getOrDefault(scheduled, "?"), ms, Double::sum);
        }
      }
      return new Timings(last - first, inside, perActivity);
    }

    private static long millis(HistoryEvent event) {
      return event.getEventTime().getSeconds() * 1000 + event.getEventTime().getNanos() / 1_000_000;
    }
  }
}

package dev.faaster.api.invoke;

import dev.faaster.workflows.coldstart.ColdStartResult;
import dev.faaster.workflows.coldstart.ColdStartStages;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.inject.Singleton;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * The router's meters: {@code faaster.invocations} (count and latency by start and outcome),
 * {@code faaster.coldstart.stage} (per stage and start mode), {@code faaster.invocations.throttled}
 * and {@code faaster.instances.retired} (by reason).
 */
@Singleton
public class InvocationMetrics {

  /** Outcome tag of an invocation whose instance never became ready. */
  static final String COLD_START_FAILED = "cold_start_failed";

  private final MeterRegistry meters;

  public InvocationMetrics(MeterRegistry meters) {
    this.meters = meters;
  }

  /** A finished invocation, {@code nanos} from admission to outcome. */
  void invocation(InvocationTarget target, boolean cold, String outcome, long nanos) {
    Timer.builder("faaster.invocations")
        .description("Invocations from admission to outcome, by cold or warm start and outcome")
        .tag("tenant", target.tenantId())
        .tag("function", target.functionName())
        .tag("start", cold ? "cold" : "warm")
        .tag("outcome", outcome)
        .publishPercentiles(0.5, 0.99)
        .register(meters)
        .record(nanos, TimeUnit.NANOSECONDS);
  }

  void invocation(InvocationTarget target, boolean cold, InvocationOutcome.Status status, long nanos) {
    invocation(target, cold, status.name().toLowerCase(Locale.ROOT), nanos);
  }

  void throttled(InvocationTarget target) {
    Counter.builder("faaster.invocations.throttled")
        .description("Invocations refused with 429 at the function's concurrency limit")
        .tag("tenant", target.tenantId())
        .tag("function", target.functionName())
        .register(meters)
        .increment();
  }

  void coldStart(ColdStartResult result) {
    ColdStartStages s = result.stages();
    if (s == null) {
      return;
    }
    String mode = result.mode() == null ? "unknown" : result.mode().name().toLowerCase(Locale.ROOT);
    stage("schedule", mode, s.scheduleMillis());
    stage("vm", mode, s.vmMillis());
    stage("code", mode, s.codeMillis());
    stage("network", mode, s.networkMillis());
    stage("load", mode, s.loadMillis());
    stage("total", mode, s.totalMillis());
  }

  private void stage(String stage, String mode, long millis) {
    Timer.builder("faaster.coldstart.stage")
        .description("Cold start stages as the workflow measured them")
        .tag("stage", stage)
        .tag("mode", mode)
        .publishPercentiles(0.5, 0.99)
        .register(meters)
        .record(millis, TimeUnit.MILLISECONDS);
  }

  void retired(String reason) {
    Counter.builder("faaster.instances.retired")
        .description("Instances the router retired, by reason")
        .tag("reason", reason)
        .register(meters)
        .increment();
  }
}

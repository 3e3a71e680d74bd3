package dev.faaster.api.invoke;

import dev.faaster.api.ApiRole;
import dev.faaster.api.error.ApiException;
import dev.faaster.api.error.ErrorCode;
import dev.faaster.api.functions.FunctionDeleted;
import dev.faaster.registry.FunctionVersion;
import dev.faaster.workflows.coldstart.ColdStartFailureTypes;
import dev.faaster.workflows.coldstart.ColdStartRequest;
import dev.faaster.workflows.coldstart.ColdStartResult;
import dev.faaster.workflows.coldstart.StartMode;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micronaut.context.annotation.Requires;
import io.micronaut.context.event.ApplicationEventListener;
import io.micronaut.context.event.ShutdownEvent;
import io.micronaut.core.order.Ordered;
import io.micronaut.http.HttpStatus;
import io.micronaut.runtime.event.annotation.EventListener;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs invocations on instances: admits one below the function's concurrency limit, leases a warm
 * instance of the version (or joins one that is starting, or cold-starts a new one), runs the
 * invocation within the function's timeout, and retires instances that timed out, crashed or sat
 * idle past the keep-alive. The warm path touches no Temporal and no database.
 *
 * <p>Every instance is recorded as this router's ({@link RouterLease}) before its cold start is
 * asked for and forgotten once handed to the retirer, so the instances of a router that died are
 * retired by a live one ({@link OrphanReconciler}); a router that shuts down retires its pool.
 */
@Singleton
@Requires(property = "faaster.roles", pattern = ApiRole.PATTERN)
public class InvocationRouter implements ApplicationEventListener<ShutdownEvent>, Ordered {

  private static final Logger log = LoggerFactory.getLogger(InvocationRouter.class);

  /** Invocations in a row that find an instance's node unreachable before the instance is given up. */
  static final int UNREACHABLE_BEFORE_RETIRE = 3;

  /** The retirement reason of the instances a router retires as its process shuts down. */
  static final String SHUTDOWN = "shutdown";
  /** How long a graceful shutdown waits for the retirements it started (each a few hundred ms). */
  static final Duration SHUTDOWN_RETIREMENT_WAIT = Duration.ofSeconds(15);

  private final AtomicBoolean closed = new AtomicBoolean();

  /** Pools are per function record and version: a deleted and re-created function starts afresh. */
  private record PoolKey(String functionId, int version) {}

  private final ColdStarter coldStarter;
  private final InstanceInvoker invoker;
  private final InstanceRetirer retirer;
  private final RouterLease lease;
  private final InvocationSettings settings;
  private final InvocationMetrics metrics;
  private final Clock clock;
  private final IdlePolicy idlePolicy;
  private final ConcurrencyLimiter limiter = new ConcurrencyLimiter();
  private final Map<PoolKey, InstancePool> pools = new ConcurrentHashMap<>();
  private final ExecutorService invocations;

  public InvocationRouter(
      ColdStarter coldStarter,
      InstanceInvoker invoker,
      InstanceRetirer retirer,
      RouterLease lease,
      InvocationSettings settings,
      InvocationMetrics metrics,
      MeterRegistry meters,
      Clock clock) {
    this.coldStarter = coldStarter;
    this.invoker = invoker;
    this.retirer = retirer;
    this.lease = lease;
    this.settings = settings;
    this.metrics = metrics;
    this.clock = clock;
    this.idlePolicy = new IdlePolicy(settings.keepAlive());
    AtomicInteger threads = new AtomicInteger();
    this.invocations =
        Executors.newCachedThreadPool(
            task -> {
              Thread thread = new Thread(task, "faaster-invoke-" + threads.incrementAndGet());
              thread.setDaemon(true);
              return thread;
            });
    Gauge.builder("faaster.instances", this, InvocationRouter::instanceCount)
        .description("Instances in the router's pools, starting or ready")
        .register(meters);
  }

  /**
   * Runs one invocation.
   *
   * @throws ApiException 429 at the function's concurrency limit; 503 when no instance could be started
   */
  public InvocationResult invoke(InvocationTarget target, byte[] event) {
    if (!limiter.tryAcquire(target.functionId(), target.concurrencyLimit())) {
      metrics.throttled(target);
      throw new ApiException(
          HttpStatus.TOO_MANY_REQUESTS,
          ErrorCode.TOO_MANY_REQUESTS,
          "'" + target.functionName() + "' is already running " + target.concurrencyLimit()
              + " invocation(s), its concurrency limit; retry later.");
    }
    try {
      return admitted(target, event);
    } finally {
      limiter.release(target.functionId());
    }
  }

  private InvocationResult admitted(InvocationTarget target, byte[] event) {
    long began = System.nanoTime();
    String invocationId = UUID.randomUUID().toString();
    InstancePool pool =
        pools.computeIfAbsent(
            new PoolKey(target.functionId(), target.versionNumber()), key -> new InstancePool(settings.instanceConcurrency()));
    InstancePool.Lease lease = pool.acquire(UUID.randomUUID().toString(), clock.instant());
    PooledInstance instance = lease.instance();
    boolean cold = lease.kind() != InstancePool.Kind.WARM;
    if (lease.kind() == InstancePool.Kind.NEW) {
      startInstance(target, pool, instance);
    }

    ColdStartResult ready;
    if (cold) {
      Duration wait = coldStartWait(target.version());
      try {
        ready = instance.ready.get(wait.toMillis(), TimeUnit.MILLISECONDS);
      } catch (TimeoutException e) {
        // The instance keeps starting and serves later requests; this one has waited long enough.
        pool.release(instance, clock.instant());
        metrics.invocation(target, true, InvocationOutcome.Status.TIMEOUT, System.nanoTime() - began);
        return new InvocationResult(
            InvocationOutcome.timeout("The instance did not become ready within " + wait.toSeconds() + " seconds."),
            instance.id, target.versionNumber(), true, null, invocationId);
      } catch (ExecutionException e) {
        pool.release(instance, clock.instant());
        metrics.invocation(target, true, InvocationMetrics.COLD_START_FAILED, System.nanoTime() - began);
        return coldStartFailed(target, instance, e.getCause(), invocationId);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        pool.release(instance, clock.instant());
        throw new ApiException(HttpStatus.SERVICE_UNAVAILABLE, ErrorCode.SERVICE_UNAVAILABLE, "The server is shutting down; retry.");
      }
    } else {
      ready = instance.started;
    }

    long invokeStarted = System.nanoTime();
    InvocationOutcome outcome = run(ready, target.version(), event, invocationId);
    long finished = System.nanoTime();
    switch (outcome.status()) {
      case TIMEOUT -> retire(pool, instance, "timeout", target);
      case CRASHED -> retire(pool, instance, "crashed", target);
      case UNREACHABLE -> {
        // A blip keeps the instance; a node that stays away loses it (retired durably: the node's
        // steps run when it is back, or its liveness monitor takes its instances).
        if (instance.unreachable.incrementAndGet() >= UNREACHABLE_BEFORE_RETIRE) {
          retire(pool, instance, "unreachable", target);
        } else {
          pool.release(instance, clock.instant());
        }
      }
      default -> {
        instance.unreachable.set(0);
        pool.release(instance, clock.instant());
      }
    }
    metrics.invocation(target, cold, outcome.status(), finished - began);
    log.atInfo()
        .setMessage("invoked {} version {} on {} ({}, {}) in {} ms: invoke {} ms, {} ms in the guest")
        .addArgument(target.functionName())
        .addArgument(target.versionNumber())
        .addArgument(instance.id)
        .addArgument(cold ? "cold" : "warm")
        .addArgument(outcome.status())
        .addArgument(() -> millis(finished - began))
        .addArgument(() -> millis(finished - invokeStarted))
        .addArgument(() -> String.format(java.util.Locale.ROOT, "%.1f", outcome.durationMs()))
        .addKeyValue("tenant", target.tenantId())
        .addKeyValue("function", target.functionName())
        .addKeyValue("version", target.versionNumber())
        .addKeyValue("instance", instance.id)
        .addKeyValue("invocation", invocationId)
        .addKeyValue("start", cold ? "cold" : "warm")
        .addKeyValue("outcome", outcome.status())
        .log();
    if (outcome.status() == InvocationOutcome.Status.UNREACHABLE) {
      log.atWarn()
          .setMessage("instance {} of {} version {} unreachable: {}")
          .addArgument(instance.id)
          .addArgument(target.functionName())
          .addArgument(target.versionNumber())
          .addArgument(outcome.errorMessage())
          .addKeyValue("tenant", target.tenantId())
          .addKeyValue("instance", instance.id)
          .log();
      throw new ApiException(
          HttpStatus.SERVICE_UNAVAILABLE, ErrorCode.SERVICE_UNAVAILABLE,
          "The function's instance could not be reached; retry.");
    }
    return new InvocationResult(outcome, instance.id, target.versionNumber(), cold, cold ? ready : null, invocationId);
  }

  private static String millis(long nanos) {
    return String.format(java.util.Locale.ROOT, "%.1f", nanos / 1e6);
  }

  /** The cold start wait: the function's timeout, but at least the configured cold start allowance. */
  private Duration coldStartWait(FunctionVersion version) {
    return settings.coldStartWaitFor(Duration.ofSeconds(version.timeoutSeconds()));
  }

  private void startInstance(InvocationTarget target, InstancePool pool, PooledInstance instance) {
    FunctionVersion v = target.version();
    ColdStartRequest request =
        new ColdStartRequest(
            instance.id,
            target.tenantId(),
            target.functionId(),
            target.functionName(),
            v.version(),
            v.runtime(),
            v.handler(),
            v.memoryMb(),
            v.codeSha256(),
            target.environment(),
            v.vpcConfig(),
            target.snapStart() ? StartMode.RESTORE : StartMode.BOOT);
    log.atInfo()
        .setMessage("cold start of {} for {} version {} ({})")
        .addArgument(instance.id)
        .addArgument(target.functionName())
        .addArgument(v.version())
        .addArgument(request.mode())
        .addKeyValue("tenant", target.tenantId())
        .addKeyValue("function", target.functionName())
        .addKeyValue("version", v.version())
        .addKeyValue("instance", instance.id)
        .log();
    CompletionStage<ColdStartResult> started;
    boolean owned = false;
    try {
      // Owned before it is started: should this process die at any point after, a live router retires it.
      lease.own(instance.id, target.functionId(), v.version());
      owned = true;
      started = coldStarter.start(request, target.tenantName());
    } catch (RuntimeException e) {
      started =
          CompletableFuture.failedFuture(
              owned ? e : new ColdStartFailedException(null, "could not record the instance as this router's: " + e.getMessage(), e));
    }
    started.whenComplete(
        (result, error) -> {
          if (error != null) {
            pool.remove(instance);
            Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
            if (cause instanceof ColdStartFailedException failed && failed.unsettled()) {
              // A slot may be reserved or a workflow may still run: the orphan reconciler settles it.
              abandon(instance.id);
            } else {
              // Its compensation took down whatever it made: nothing left to own.
              release(instance.id);
            }
            log.atWarn()
                .setMessage("cold start of {} for {} version {} failed: {}")
                .addArgument(instance.id)
                .addArgument(target.functionName())
                .addArgument(v.version())
                .addArgument(cause.getMessage())
                .addKeyValue("tenant", target.tenantId())
                .addKeyValue("function", target.functionName())
                .addKeyValue("version", v.version())
                .addKeyValue("instance", instance.id)
                .log();
            instance.ready.completeExceptionally(cause);
            return;
          }
          boolean pooled = pool.ready(instance, result, clock.instant());
          // The waiting invocation goes first: the bookkeeping below is off its path.
          instance.ready.complete(result);
          try {
            lease.started(instance.id, result.nodeId());
          } catch (RuntimeException e) {
            // The orphan reconciler reads the node from the cold start's result instead.
            log.warn("could not record the node of instance {}: {}", instance.id, e.getMessage());
          }
          metrics.coldStart(result);
          log.atInfo()
              .setMessage("instance {} of {} version {} ready on node {}: {}")
              .addArgument(instance.id)
              .addArgument(target.functionName())
              .addArgument(v.version())
              .addArgument(result.nodeId())
              .addArgument(result.stages())
              .addKeyValue("tenant", target.tenantId())
              .addKeyValue("function", target.functionName())
              .addKeyValue("version", v.version())
              .addKeyValue("instance", instance.id)
              .addKeyValue("node", result.nodeId())
              .log();
          if (!pooled) {
            // Retired while starting (its function was deleted): take it down now that it exists.
            retireStarted(instance, "function-deleted");
          }
        });
  }

  private InvocationResult coldStartFailed(InvocationTarget target, PooledInstance instance, Throwable cause, String invocationId) {
    String type = cause instanceof ColdStartFailedException failed ? failed.type() : null;
    if (ColdStartFailureTypes.CODE_LOAD_FAILED.equals(type)) {
      return new InvocationResult(
          InvocationOutcome.functionError(InvocationErrors.CODE_LOAD_FAILED, cause.getMessage(), null),
          instance.id, target.versionNumber(), true, null, invocationId);
    }
    if (ColdStartFailureTypes.NO_CAPACITY.equals(type)) {
      throw new ApiException(
          HttpStatus.SERVICE_UNAVAILABLE, ErrorCode.SERVICE_UNAVAILABLE, "No node has capacity for a new instance; retry later.");
    }
    throw new ApiException(
        HttpStatus.SERVICE_UNAVAILABLE, ErrorCode.SERVICE_UNAVAILABLE, "The instance could not be started; retry.");
  }

  /** Runs the invocation on its own thread so the function's timeout holds whatever the invoker does. */
  private InvocationOutcome run(ColdStartResult instance, FunctionVersion version, byte[] event, String invocationId) {
    Duration timeout = Duration.ofSeconds(version.timeoutSeconds());
    Future<InvocationOutcome> running = invocations.submit(() -> invoker.invoke(instance, event, timeout, invocationId));
    try {
      return running.get(timeout.plus(settings.invokeGrace()).toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      running.cancel(true);
      return InvocationOutcome.timeout("Task timed out after " + version.timeoutSeconds() + " seconds.");
    } catch (ExecutionException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      log.warn("invoking instance {} failed", instance.instanceId(), cause);
      return InvocationOutcome.crashed("The instance stopped answering: " + cause.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      running.cancel(true);
      return InvocationOutcome.crashed("The invocation was interrupted.");
    }
  }

  private void retire(InstancePool pool, PooledInstance instance, String reason, InvocationTarget target) {
    if (!pool.remove(instance)) {
      return;
    }
    log.atInfo()
        .setMessage("retiring instance {} of {} version {}: {}")
        .addArgument(instance.id)
        .addArgument(target.functionName())
        .addArgument(target.versionNumber())
        .addArgument(reason)
        .addKeyValue("tenant", target.tenantId())
        .addKeyValue("function", target.functionName())
        .addKeyValue("version", target.versionNumber())
        .addKeyValue("instance", instance.id)
        .addKeyValue("reason", reason)
        .log();
    retireStarted(instance, reason);
  }

  /** Takes down an instance already out of its pool. */
  private void retireStarted(PooledInstance instance, String reason) {
    invoker.discard(instance.id);
    ColdStartResult started = instance.started;
    if (started == null) {
      return; // still starting: retired once ready (see startInstance)
    }
    metrics.retired(reason);
    try {
      retirer.retire(instance.id, started.nodeId(), reason);
    } catch (RuntimeException e) {
      // Still this router's: should this process die, the orphan reconciler retires it.
      log.warn("could not retire instance {} ({}): {}", instance.id, reason, e.getMessage());
      return;
    }
    if (!SHUTDOWN.equals(reason)) {
      // At shutdown the retirer's starts may not get out before the process exits: the rows stay, and
      // the next router's reconciler retires them again (a retirement that got out is not repeated).
      release(instance.id);
    }
  }

  /** Leaves the instance to the orphan reconciler; should that fail, the row stays this router's. */
  private void abandon(String instanceId) {
    try {
      lease.abandoned(instanceId);
    } catch (RuntimeException e) {
      log.warn("could not hand instance {} to the orphan reconciler: {}", instanceId, e.getMessage());
    }
  }

  /** Forgets the instance in the registry; a row left behind only costs the reconciler a lookup later. */
  private void release(String instanceId) {
    try {
      lease.released(instanceId);
    } catch (RuntimeException e) {
      log.warn("could not forget instance {} in the registry: {}", instanceId, e.getMessage());
    }
  }

  /**
   * Retires every instance idle past the keep-alive at {@code now}.
   *
   * @return how many were retired
   */
  public int reapIdle(Instant now) {
    int reaped = 0;
    for (InstancePool pool : pools.values()) {
      for (PooledInstance instance : pool.removeIdle(idlePolicy, now)) {
        log.atInfo()
            .setMessage("retiring instance {}: idle since {}")
            .addArgument(instance.id)
            .addArgument(instance.lastUsed)
            .addKeyValue("instance", instance.id)
            .addKeyValue("reason", "idle")
            .log();
        retireStarted(instance, "idle");
        reaped++;
      }
    }
    return reaped;
  }

  /**
   * Pings every idle ready instance and retires (reason {@code crashed}) those whose guest no
   * longer answers as itself, so a guest that died between invocations is replaced before a
   * request finds it. An instance leased meanwhile is left to its invocation.
   *
   * @return how many were retired
   */
  public int checkIdle(Duration timeout) {
    int retired = 0;
    for (InstancePool pool : pools.values()) {
      for (PooledInstance instance : pool.idleReady()) {
        if (invoker.healthy(instance.started, timeout)) {
          continue;
        }
        if (pool.remove(instance)) {
          log.atWarn()
              .setMessage("instance {} no longer answers while idle: retiring it")
              .addArgument(instance.id)
              .addKeyValue("instance", instance.id)
              .addKeyValue("node", instance.started.nodeId())
              .addKeyValue("reason", "crashed")
              .log();
          retireStarted(instance, "crashed");
          retired++;
        }
      }
    }
    return retired;
  }

  /** A deleted function's instances go with it. */
  @EventListener
  void onFunctionDeleted(FunctionDeleted event) {
    retireFunction(event.functionId());
  }

  /** Retires every instance of a function (it was deleted). */
  public void retireFunction(String functionId) {
    List<PoolKey> keys = new ArrayList<>(pools.keySet());
    for (PoolKey key : keys) {
      if (key.functionId().equals(functionId)) {
        InstancePool pool = pools.remove(key);
        if (pool != null) {
          pool.removeAll().forEach(instance -> retireStarted(instance, "function-deleted"));
        }
      }
    }
  }

  /** Invocations of the function running or waiting for an instance. */
  public int inFlight(String functionId) {
    return limiter.inFlight(functionId);
  }

  /** Ids of the version's instances, starting or ready. */
  public List<String> instanceIds(String functionId, int version) {
    InstancePool pool = pools.get(new PoolKey(functionId, version));
    return pool == null ? List.of() : pool.ids();
  }

  private double instanceCount() {
    return pools.values().stream().mapToInt(InstancePool::size).sum();
  }

  /**
   * Shuts the router down first, before the workers stop on the same event (they listen in the
   * default order): in a process that also runs the node, the retirements it starts then still
   * find a worker and destroy their VMs before the process exits.
   */
  @Override
  public void onApplicationEvent(ShutdownEvent event) {
    close();
  }

  @Override
  public int getOrder() {
    return Ordered.HIGHEST_PRECEDENCE;
  }

  /**
   * Graceful shutdown: retires every pooled instance and marks this router GONE, so a restart leaves
   * nothing behind. Instances still starting are the reconciler's: their cold start finishes after
   * this process is gone.
   */
  @PreDestroy
  void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    int retired = 0;
    int starting = 0;
    for (PoolKey key : new ArrayList<>(pools.keySet())) {
      InstancePool pool = pools.remove(key);
      if (pool == null) {
        continue;
      }
      for (PooledInstance instance : pool.removeAll()) {
        log.atInfo()
            .setMessage("retiring instance {} of function {} version {}: {}")
            .addArgument(instance.id)
            .addArgument(key.functionId())
            .addArgument(key.version())
            .addArgument(SHUTDOWN)
            .addKeyValue("function", key.functionId())
            .addKeyValue("version", key.version())
            .addKeyValue("instance", instance.id)
            .addKeyValue("reason", SHUTDOWN)
            .log();
        if (instance.isReady()) {
          retired++;
        } else {
          starting++;
        }
        retireStarted(instance, SHUTDOWN);
      }
    }
    // Waited for, so that a process that also runs the node (the embedded default) destroys their
    // VMs before its worker stops, instead of leaving them to the next start's reconciler.
    boolean done = retired == 0 || retirer.awaitRetirements(SHUTDOWN_RETIREMENT_WAIT);
    try {
      lease.gone();
    } catch (RuntimeException e) {
      log.warn("could not mark router {} gone; it is declared gone when its lease runs out: {}", lease.id(), e.getMessage());
    }
    log.atInfo()
        .setMessage("router {} shut down: {} instance(s) retired" + (done ? "" : " (not all done yet)")
            + ", {} still starting left to the orphan reconciler")
        .addArgument(lease.id())
        .addArgument(retired)
        .addArgument(starting)
        .addKeyValue("router", lease.id())
        .log();
    invocations.shutdownNow();
  }
}

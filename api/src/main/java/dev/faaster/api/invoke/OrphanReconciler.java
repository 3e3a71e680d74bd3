package dev.faaster.api.invoke;

import dev.faaster.api.ApiRole;
import dev.faaster.registry.RouterInstanceRecord;
import dev.faaster.registry.RouterInstanceRepository;
import dev.faaster.registry.RouterRecord;
import dev.faaster.registry.RouterRepository;
import dev.faaster.registry.SlotRecord;
import dev.faaster.registry.SlotRepository;
import io.micronaut.context.annotation.Requires;
import io.micronaut.scheduling.annotation.Scheduled;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Retires the instances of routers that died: every {@code faaster.invocations.router-reconcile-interval}
 * a router silent past the lease is marked GONE (one conditional UPDATE: one process decides it),
 * then each instance of a GONE (or vanished) router is looked at once its cold start is closed. A
 * completed one is adopted by this router (one conditional UPDATE: one process retires it), retired
 * with reason {@value #ORPHANED} and forgotten; a failed one was undone by its own compensation and
 * is only forgotten; one whose cold start still runs waits for a later pass, since retiring it now
 * would leak what the cold start makes afterwards; one Temporal no longer knows is retired if it
 * was recorded ready, else forgotten once a start in flight would have arrived (retired instead if
 * it holds a slot: a router that places cold starts reserves the slot before it starts the
 * workflow, and may have died in between). Instances a live router abandoned ({@link
 * RouterLease#abandoned}: a start RPC failed and nobody could say whether the workflow started) have
 * a router id no router has, and are settled the same way. GONE routers that
 * own nothing any more are deleted after {@code router-retention}.
 */
@Singleton
@Requires(property = "faaster.roles", pattern = ApiRole.PATTERN)
public class OrphanReconciler {

  private static final Logger log = LoggerFactory.getLogger(OrphanReconciler.class);

  /** The retirement reason of a dead router's instance. */
  public static final String ORPHANED = "orphaned";

  /**
   * What one pass did.
   *
   * @param goneRouters routers this pass declared GONE
   * @param retired instances it adopted and retired
   * @param forgotten instances whose cold start failed or never started: rows deleted, nothing retired
   * @param waiting instances whose cold start still runs (or could not be asked about)
   * @param deletedRouters GONE router rows deleted
   */
  public record Result(
      List<String> goneRouters, List<String> retired, List<String> forgotten, List<String> waiting, long deletedRouters) {}

  private final RouterRepository routers;
  private final RouterInstanceRepository instances;
  private final RouterLease lease;
  private final ColdStartProbe probe;
  private final InstanceRetirer retirer;
  private final RouterLeaseSettings settings;
  private final SlotRepository slots;
  private final Clock clock;

  public OrphanReconciler(
      RouterRepository routers,
      RouterInstanceRepository instances,
      RouterLease lease,
      ColdStartProbe probe,
      InstanceRetirer retirer,
      RouterLeaseSettings settings,
      SlotRepository slots,
      Clock clock) {
    this.routers = routers;
    this.instances = instances;
    this.lease = lease;
    this.probe = probe;
    this.retirer = retirer;
    this.settings = settings;
    this.slots = slots;
    this.clock = clock;
  }

  @Scheduled(
      initialDelay = "${faaster.invocations.router-reconcile-interval:15s}",
      fixedDelay = "${faaster.invocations.router-reconcile-interval:15s}")
  void scheduled() {
    try {
      reconcile(clock.instant());
    } catch (RuntimeException e) {
      log.warn("orphaned instance check failed; the next pass retries: {}", e.getMessage());
    }
  }

  public synchronized Result reconcile(Instant now) {
    Instant cutoff = now.minus(settings.routerLease());
    List<String> goneRouters = new ArrayList<>();
    for (RouterRecord router : routers.findStale(cutoff)) {
      if (router.id().equals(lease.id()) || routers.markStaleGone(router.id(), cutoff) != 1) {
        continue; // ourselves (our heartbeat is late, not us dead), or it heartbeated, or another process decided
      }
      goneRouters.add(router.id());
      log.atWarn()
          .setMessage("router {} on {} is gone: no heartbeat since {} (lease {}); its instances are orphans")
          .addArgument(router.id())
          .addArgument(router.host())
          .addArgument(router.heartbeatAt())
          .addArgument(settings.routerLease())
          .addKeyValue("router", router.id())
          .log();
    }

    List<String> retired = new ArrayList<>();
    List<String> forgotten = new ArrayList<>();
    List<String> waiting = new ArrayList<>();
    boolean probeFailed = false;
    for (RouterInstanceRecord orphan : instances.findOrphaned()) {
      if (orphan.routerId().equals(lease.id())) {
        continue; // this router was declared GONE; its next heartbeat brings it back
      }
      if (probeFailed) {
        waiting.add(orphan.instanceId());
        continue;
      }
      ColdStartState state;
      try {
        state = probe.stateOf(orphan.instanceId());
      } catch (RuntimeException e) {
        // The workflow service is likely unreachable: don't wait out its timeout once per orphan.
        log.warn("could not look up the cold start of orphaned instance {}; orphans wait for the next pass: {}",
            orphan.instanceId(), e.getMessage());
        probeFailed = true;
        waiting.add(orphan.instanceId());
        continue;
      }
      switch (state.phase()) {
        case RUNNING -> waiting.add(orphan.instanceId());
        case FAILED -> forget(orphan, "its cold start failed and undid itself", forgotten);
        case NOT_FOUND -> {
          if (orphan.nodeId() != null) {
            // It was ready, and its closed cold start has since passed Temporal's retention.
            if (retireOrphan(orphan, orphan.nodeId())) {
              retired.add(orphan.instanceId());
            }
          } else if (orphan.createdAt().isBefore(cutoff)) {
            // A router records the instance just before it starts the cold start: a start in flight
            // (of a router declared GONE while still alive) has had the lease's time to arrive.
            Optional<SlotRecord> held = slots.findByInstanceId(orphan.instanceId());
            if (held.isEmpty()) {
              forget(orphan, "its cold start never started", forgotten);
            } else if (retireOrphan(orphan, held.get().nodeId())) {
              // Its router reserved the slot and died before the start: the retirement frees it.
              retired.add(orphan.instanceId());
            }
          } else {
            waiting.add(orphan.instanceId());
          }
        }
        case COMPLETED -> {
          if (retireOrphan(orphan, orphan.nodeId() != null ? orphan.nodeId() : state.nodeId())) {
            retired.add(orphan.instanceId());
          }
        }
      }
    }

    long deleted = routers.deleteGoneWithoutInstances(now.minus(settings.routerRetention()));
    return new Result(goneRouters, retired, forgotten, waiting, deleted);
  }

  private boolean retireOrphan(RouterInstanceRecord orphan, String nodeId) {
    if (instances.adopt(orphan.instanceId(), orphan.routerId(), lease.id()) != 1) {
      return false; // another process adopted it, or its router came back
    }
    log.atInfo()
        .setMessage("retiring instance {} on {} of function {} version {}: {} ({})")
        .addArgument(orphan.instanceId())
        .addArgument(nodeId)
        .addArgument(orphan.functionId())
        .addArgument(orphan.version())
        .addArgument(ORPHANED)
        .addArgument(owner(orphan))
        .addKeyValue("function", orphan.functionId())
        .addKeyValue("version", orphan.version())
        .addKeyValue("instance", orphan.instanceId())
        .addKeyValue("node", nodeId)
        .addKeyValue("router", orphan.routerId())
        .addKeyValue("reason", ORPHANED)
        .log();
    try {
      retirer.retire(orphan.instanceId(), nodeId, ORPHANED);
    } catch (RuntimeException e) {
      // Back to its dead router, so the next pass (here or in another process) tries again.
      instances.transfer(orphan.instanceId(), lease.id(), orphan.routerId());
      log.warn("could not retire orphaned instance {}; the next pass retries: {}", orphan.instanceId(), e.getMessage());
      return false;
    }
    lease.released(orphan.instanceId());
    return true;
  }

  private static String owner(RouterInstanceRecord orphan) {
    return RouterLease.ABANDONED.equals(orphan.routerId())
        ? "its router abandoned it when its cold start failed unsettled"
        : "router " + orphan.routerId() + " is gone";
  }

  private void forget(RouterInstanceRecord orphan, String why, List<String> forgotten) {
    if (instances.deleteOwned(orphan.instanceId(), orphan.routerId()) != 1) {
      return; // another process got there first
    }
    forgotten.add(orphan.instanceId());
    log.atInfo()
        .setMessage("forgetting orphaned instance {} of function {} version {}: {}")
        .addArgument(orphan.instanceId())
        .addArgument(orphan.functionId())
        .addArgument(orphan.version())
        .addArgument(why)
        .addKeyValue("function", orphan.functionId())
        .addKeyValue("version", orphan.version())
        .addKeyValue("instance", orphan.instanceId())
        .addKeyValue("router", orphan.routerId())
        .log();
  }
}

package dev.faaster.api.invoke;

import dev.faaster.api.ApiRole;
import dev.faaster.registry.RouterInstanceRecord;
import dev.faaster.registry.RouterInstanceRepository;
import dev.faaster.registry.RouterRecord;
import dev.faaster.registry.RouterRepository;
import io.micronaut.context.annotation.Requires;
import jakarta.inject.Singleton;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This process's router in the registry: its row (registered, heartbeated, marked GONE at shutdown)
 * and the rows of the instances it owns, so that a live router retires them should this process
 * die ({@link OrphanReconciler}).
 */
@Singleton
@Requires(property = "faaster.roles", pattern = ApiRole.PATTERN)
public class RouterLease {

  /** The owner of instances whose cold start is unsettled ({@link #abandoned}); never a router's id. */
  public static final String ABANDONED = "abandoned";

  private static final Logger log = LoggerFactory.getLogger(RouterLease.class);

  private final String id;
  private final String host;
  private final RouterRepository routers;
  private final RouterInstanceRepository instances;
  private final Clock clock;
  private volatile boolean registered;

  public RouterLease(RouterRepository routers, RouterInstanceRepository instances, Clock clock) {
    this(UUID.randomUUID().toString(), hostName(), routers, instances, clock);
  }

  RouterLease(String id, String host, RouterRepository routers, RouterInstanceRepository instances, Clock clock) {
    this.id = id;
    this.host = host;
    this.routers = routers;
    this.instances = instances;
    this.clock = clock;
  }

  /** This router's id, new with every process. */
  public String id() {
    return id;
  }

  /** Upserts this router as LIVE, heartbeat {@code now}. */
  public synchronized void register(Instant now) {
    Optional<RouterRecord> existing = routers.findById(id);
    RouterRecord row =
        new RouterRecord(id, host, RouterRecord.LIVE, now, existing.map(RouterRecord::startedAt).orElse(now));
    if (existing.isPresent()) {
      routers.update(row);
    } else {
      routers.save(row);
    }
    registered = true;
  }

  /**
   * Renews the lease.
   *
   * @return false when this router had been declared GONE (it missed its lease) or its row was
   *     missing: it is registered again, and instances adopted meanwhile are retired by their adopter
   */
  public boolean heartbeat(Instant now) {
    if (registered && routers.heartbeat(id, now) == 1) {
      return true;
    }
    boolean wasRegistered = registered;
    register(now);
    return !wasRegistered;
  }

  /**
   * Records the instance as this router's, before its cold start is asked for: a crash after the
   * start cannot leave it unowned.
   */
  public void own(String instanceId, String functionId, int version) {
    if (!registered) {
      register(clock.instant());
    }
    instances.save(new RouterInstanceRecord(instanceId, id, null, functionId, version, clock.instant()));
  }

  /** The instance's cold start completed on {@code nodeId}. */
  public void started(String instanceId, String nodeId) {
    instances.recordNode(instanceId, nodeId);
  }

  /** The instance was handed to the retirer (or its cold start failed): no longer this router's. */
  public void released(String instanceId) {
    instances.deleteOwned(instanceId, id);
  }

  /**
   * Hands the instance to the orphan reconciler: its cold start failed in a way that may have left
   * a slot reserved or a workflow running ({@link ColdStartFailedException#unsettled}). The row
   * moves to {@link #ABANDONED}, a router id no router has, so any process's reconciler settles it
   * like an orphan of a dead router, also after this process is gone.
   */
  public void abandoned(String instanceId) {
    instances.transfer(instanceId, id, ABANDONED);
  }

  /** The instances this router owns. */
  public List<RouterInstanceRecord> owned() {
    return instances.findByRouterId(id);
  }

  /** This router shut down: its remaining instances are orphans from now on. */
  public void gone() {
    routers.markGone(id);
    registered = false;
    log.atInfo().setMessage("router {} is gone").addArgument(id).addKeyValue("router", id).log();
  }

  private static String hostName() {
    try {
      String name = InetAddress.getLocalHost().getHostName();
      return name.length() > 255 ? name.substring(0, 255) : name;
    } catch (UnknownHostException e) {
      return "unknown";
    }
  }
}

package dev.faaster.vm;

import io.micronaut.context.annotation.Value;
import io.micronaut.core.annotation.Nullable;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes running instances from a template: N at once from one template, each its own libvirt
 * domain with its own name, UUID and MAC, all mapping the template's memory file copy-on-write.
 *
 * <p>Why this route: libvirt's own save/restore keeps the saved domain's name and UUID, so one
 * image gives one instance at a time. Instead every clone is a new transient domain rendered from
 * the template's {@link VmDefinition} whose QEMU starts with {@code -incoming defer} and takes the
 * template's device state as an incoming migration; x-ignore-shared leaves RAM out of that state,
 * the clone maps the template's RAM file privately instead.
 *
 * <p>Starting QEMU and libvirt's setup take hundreds of milliseconds, so clones are pre-created
 * off the cold path: {@link #prewarm} (and a background refill up to {@code faaster.vm.pool-size})
 * starts them, sets x-ignore-shared and autostart and has QEMU listen for the state.
 * {@link #restore} then only streams ~300 KB into the socket (QEMU closing it marks the state
 * loaded: no status polling; the clone runs at once when the template was saved running) and waits
 * for the agent. On qemu:///system no libvirt call is on that path (a /proc lookup checks QEMU is
 * still alive).
 */
@Singleton
public final class CloneFactory implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(CloneFactory.class);
  /** Placeholder code packages by runtime (see {@link #warmCodePaths}); read and hashed once. */
  private static final Map<String, Placeholder> PLACEHOLDERS = new ConcurrentHashMap<>();
  /** How long a refill waits for the cold start that took a clone (~0.1-0.3 s under TCG) at most. */
  static final Duration COLD_PATH_GRACE = Duration.ofSeconds(2);
  /** How long after the code load a held-back refill starts: the first invocation's time. */
  static final Duration FIRST_INVOCATION_GRACE = Duration.ofMillis(100);

  private final Hypervisor hypervisor;
  private final AgentProbe agent;
  private final VmSettings settings;
  private final Map<String, ConcurrentLinkedDeque<PendingClone>> pools = new ConcurrentHashMap<>();
  private final Map<String, ByteBuffer> states = new ConcurrentHashMap<>();
  private final AtomicInteger refillsPending = new AtomicInteger();
  private final ScheduledExecutorService refill = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "faaster-clone-refill");
    t.setDaemon(true);
    return t;
  });
  /** Refills held back until the cold start that took a clone is done with the CPU, by template id. */
  private final Map<String, TemplateImage> deferredRefills = new ConcurrentHashMap<>();
  private volatile boolean closed;
  /** Every domain this factory created and nobody destroyed yet, pending or restored. */
  private final java.util.Set<String> live = ConcurrentHashMap.newKeySet();

  /**
   * Where the connection that saw each new instance's agent answer is kept for whoever talks to it
   * next (identity, code, invocations); null: it is closed, and the next user reconnects.
   */
  private final @Nullable AgentConnections connections;

  /**
   * Whether the pool holds clones restored ahead (state loaded, agent answered, identity path run
   * once) rather than only started: see {@link #restore}.
   */
  private volatile boolean restoreAhead;
  /** Per template: clones restored ahead of demand, waiting for an identity. */
  private final Map<String, ConcurrentLinkedDeque<Instance>> restored = new ConcurrentHashMap<>();

  /** A factory that closes the connection its readiness check used (tools, benchmarks, tests). */
  public CloneFactory(Hypervisor hypervisor, AgentProbe agent, VmSettings settings) {
    this(hypervisor, agent, settings, null, false);
  }

  /**
   * A factory that leaves each new instance's agent connection open in {@code connections}: a
   * reconnect costs the guest a wake-up on the cold path. {@link #destroy} closes it. With {@code
   * restoreAhead} (and connections), its pool holds clones already restored and warmed.
   */
  @Inject
  public CloneFactory(
      Hypervisor hypervisor,
      AgentProbe agent,
      VmSettings settings,
      @Nullable AgentConnections connections,
      @Value("${faaster.vm.restore-ahead:false}") boolean restoreAhead) {
    this.hypervisor = hypervisor;
    this.agent = agent;
    this.settings = settings;
    this.connections = connections;
    this.restoreAhead = restoreAhead && connections != null;
  }

  /**
   * A clone whose QEMU runs and listens for the template's state. {@code host}: its agent socket
   * connected ahead (see {@link AgentProbe#connectAhead}), null when the probe keeps no
   * connections.
   */
  record PendingClone(VmIdentity identity, DomainPaths paths, Instant startedAt, Duration processStart,
      @Nullable AgentClient host) {

    /** Destroys the clone's domain, then lets go of its connection (QEMU is gone: nothing to tell). */
    void discard(CloneFactory factory) {
      factory.destroyQuietly(identity.name());
      if (host != null) {
        host.close();
      }
    }
  }

  /**
   * Pre-creates clones of {@code template} until {@code count} wait in its pool. Blocks; meant for
   * a template's first use and for tests. Background refill keeps {@code pool-size} after that.
   *
   * @throws RestoreException if a clone can't be created
   */
  public void prewarm(TemplateImage template, int count) {
    ConcurrentLinkedDeque<PendingClone> pool = pool(template);
    while (!closed && pool.size() < count) {
      PendingClone clone = createPending(template);
      pool.add(clone);
      if (closed && pool.remove(clone)) {
        clone.discard(this); // close() drained the pool while this one started
      }
    }
  }

  /** Clones of {@code template} waiting in its pool. */
  public int pending(TemplateImage template) {
    ConcurrentLinkedDeque<PendingClone> pool = pools.get(template.id());
    return pool == null ? 0 : pool.size();
  }

  /**
   * A running instance of {@code template} whose agent answered: with {@code restore-ahead}, a
   * clone restored and warmed before it was asked for, when one waits; else a pre-created clone
   * (QEMU started, waiting for the state) restored now; else one created now (QEMU start on the
   * cold path).
   *
   * @throws RestoreException if the clone doesn't load, resume or answer in time; its domain is
   *     destroyed
   */
  public Instance restore(TemplateImage template) {
    if (restoreAhead) {
      for (Instance ready; (ready = restoredPool(template).poll()) != null; ) {
        if (hypervisor.isAlive(ready.name())) {
          deferRefill(template);
          Instance.Timings t = ready.timings();
          LOG.debug("restored {} from {} ahead of demand", ready.name(), template.id());
          return new Instance(ready.identity(), ready.templateId(), ready.paths(), ready.qemuPid(),
              new Instance.Timings(t.processStarted(), t.processStart(), true, Instant.now(), Duration.ZERO, Duration.ZERO,
                  Duration.ZERO));
        }
        destroyQuietly(ready.name()); // died while it waited
      }
    }
    try {
      return loadNext(template);
    } finally {
      deferRefill(template);
    }
  }

  /**
   * The cold start that took a clone has loaded its code (or failed): the refills it held back
   * start {@link #FIRST_INVOCATION_GRACE} later, once the first invocation (which follows the load
   * within tens of milliseconds) has run. Called by the node's instance steps.
   */
  public void coldPathDone() {
    for (String templateId : deferredRefills.keySet()) {
      try {
        refill.schedule(() -> releaseRefill(templateId), FIRST_INVOCATION_GRACE.toMillis(), TimeUnit.MILLISECONDS);
      } catch (RejectedExecutionException e) {
        return; // closing
      }
    }
  }

  /**
   * Refills after the cold start, not during it: on few cores a refill (a QEMU starting, a clone
   * restored and warmed: about a second of CPU under TCG) competes with the new instance's identity
   * and code load. Released by {@link #coldPathDone}, or after {@link #COLD_PATH_GRACE} for a cold
   * start that never gets that far.
   */
  private void deferRefill(TemplateImage template) {
    if (closed || settings.poolSize() <= 0) {
      return;
    }
    if (deferredRefills.putIfAbsent(template.id(), template) == null) {
      refillsPending.incrementAndGet();
      try {
        refill.schedule(() -> releaseRefill(template.id()), COLD_PATH_GRACE.toMillis(), TimeUnit.MILLISECONDS);
      } catch (RejectedExecutionException e) {
        releaseRefill(template.id()); // closing
      }
    }
  }

  private void releaseRefill(String templateId) {
    TemplateImage template = deferredRefills.remove(templateId);
    if (template != null) {
      scheduleRefill(template);
      refillsPending.decrementAndGet(); // after scheduleRefill counted its own: refilling() never blinks
    }
  }

  /** Restores a pre-created clone, or one created now when none waits. */
  private Instance loadNext(TemplateImage template) {
    PendingClone clone = pool(template).poll();
    return load(template, clone == null ? createPending(template) : clone, clone != null);
  }

  /** Streams the template's state into a started clone and waits for its agent; destroys it on failure. */
  private Instance load(TemplateImage template, PendingClone clone, boolean pooled) {
    Instant restoreStarted = Instant.now();
    long t0 = System.nanoTime();
    ByteBuffer state = state(template);
    String name = clone.identity().name();
    long deadline = t0 + settings.restoreTimeout().toNanos();
    try {
      // Returns once QEMU loaded the state and closed the stream (or died trying).
      MigrationStreams.send(clone.paths().migrationSocket(), state, remaining(deadline));
      long loaded = System.nanoTime();
      if (!hypervisor.isAlive(name)) {
        throw new RestoreException("QEMU exited while loading the device state");
      }
      if (!template.resumesOnLoad()) {
        Qmp qmp = new Qmp(hypervisor, name);
        try {
          qmp.cont(); // a paused source gives a paused clone
        } catch (HypervisorException e) {
          throw new RestoreException("device state did not load (" + statusOf(qmp) + "): " + e.getMessage(), e);
        }
      }
      long resumed = System.nanoTime();
      if (clone.host() != null) {
        agent.awaitReady(clone.host(), remaining(deadline));
        keepOrClose(clone.paths().agentSocket(), clone.host());
      } else {
        awaitAgent(clone.paths().agentSocket(), remaining(deadline));
      }
      long answered = System.nanoTime();
      Instance.Timings timings = new Instance.Timings(clone.startedAt(), clone.processStart(), pooled, restoreStarted,
          Duration.ofNanos(loaded - t0), Duration.ofNanos(resumed - t0), Duration.ofNanos(answered - t0));
      LOG.debug("restored {} from {}: loaded {} ms, answered {} ms{}", name, template.id(),
          timings.loaded().toMillis(), timings.agentAnswered().toMillis(), pooled ? " (pre-created)" : "");
      return new Instance(clone.identity(), template.id(), clone.paths(), hypervisor.qemuPid(name).orElse(-1), timings);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      clone.discard(this);
      throw new RestoreException("restore " + name + " from " + template.id() + ": interrupted", e);
    } catch (IOException | VmException e) {
      String hint = TemplateBuilder.consoleHint(clone.paths().console());
      clone.discard(this);
      throw new RestoreException("restore " + name + " from " + template.id() + ": " + e.getMessage() + hint, e);
    }
  }

  /**
   * A running instance booted from {@code template}'s image, not restored: the template's devices,
   * kernel and pinned machine with plain anonymous RAM, so it shares nothing with the template.
   * What every cold start costs without templates; its agent has answered when this returns.
   *
   * @throws RestoreException if the guest doesn't answer within the boot timeout; its domain is
   *     destroyed
   */
  public Instance boot(TemplateImage template) {
    if (closed) {
      throw new RestoreException("clone factory is closed");
    }
    VmIdentity id = VmIdentity.random(settings.clonePrefix());
    DomainPaths paths = settings.paths(id.name());
    Instant startedAt = Instant.now();
    long t0 = System.nanoTime();
    try {
      Files.createDirectories(settings.runDir());
      live.add(id.name());
      createShare(template, paths);
      hypervisor.create(DomainXml.render(template.definition(), VmRole.BOOT, id, paths));
      long created = System.nanoTime();
      awaitAgent(paths.agentSocket(), settings.bootTimeout());
      Duration answered = Duration.ofNanos(System.nanoTime() - t0);
      Instance.Timings timings = new Instance.Timings(startedAt, Duration.ofNanos(created - t0), false, startedAt,
          answered, answered, answered);
      LOG.debug("booted {} with {}'s image: answered {} ms", id.name(), template.id(), answered.toMillis());
      return new Instance(id, template.id(), paths, hypervisor.qemuPid(id.name()).orElse(-1), timings);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      destroy(id.name());
      throw new RestoreException("boot " + id.name() + ": interrupted", e);
    } catch (IOException | VmException e) {
      String hint = TemplateBuilder.consoleHint(paths.console());
      destroy(id.name());
      throw new RestoreException("boot " + id.name() + " with " + template.id() + "'s image: " + e.getMessage() + hint, e);
    }
  }

  /**
   * Destroys an instance's (or pending clone's) domain and deletes its files. Idempotent.
   *
   * @return whether a domain existed
   */
  public boolean destroy(String name) {
    boolean existed;
    live.remove(name);
    DomainPaths p = settings.paths(name);
    if (connections != null) {
      connections.close(p.agentSocket());
    }
    try {
      existed = hypervisor.destroy(name);
    } finally {
      if (connections != null) {
        // Again: an invocation may have reconnected while the domain was going.
        connections.close(p.agentSocket());
      }
      TemplateBuilder.deleteQuietly(p.agentSocket());
      TemplateBuilder.deleteQuietly(p.migrationSocket());
      TemplateBuilder.deleteQuietly(p.console());
      CodeShares.delete(p.codeShare());
    }
    return existed;
  }

  /**
   * Names of the domains this factory (this process) created and that are not destroyed: a
   * reconciler must not take them for orphans even before their instance record is written.
   */
  public java.util.Set<String> liveNames() {
    return java.util.Set.copyOf(live);
  }

  /** Destroys the pending clones of {@code template} and forgets its cached state. */
  public void discard(TemplateImage template) {
    ConcurrentLinkedDeque<PendingClone> pool = pools.remove(template.id());
    states.remove(template.id());
    if (pool != null) {
      for (PendingClone c; (c = pool.poll()) != null; ) {
        c.discard(this);
      }
    }
    destroyRestoredAhead(template.id());
  }

  /**
   * Turns restoring ahead on or off (benchmarks compare both on one node). Off, restores take a
   * started clone; clones already restored ahead wait until it is on again. Needs connections.
   */
  public void restoreAhead(boolean on) {
    restoreAhead = on && connections != null;
  }

  /**
   * Whether a background refill is queued or running. Benchmarks wait for it, so that each cold
   * start they time finds the pool as a cold start spaced further than one refill would.
   */
  public boolean refilling() {
    return refillsPending.get() > 0;
  }

  /** Clones of {@code template} restored ahead and waiting for an instance. */
  public int restoredAhead(TemplateImage template) {
    ConcurrentLinkedDeque<Instance> pool = restored.get(template.id());
    return pool == null ? 0 : pool.size();
  }

  /**
   * Fills {@code template}'s pool in the background (its first use: a template just built), so
   * the first cold start finds a clone waiting too.
   */
  public void fillInBackground(TemplateImage template) {
    scheduleRefill(template);
  }

  private void destroyRestoredAhead(String templateId) {
    ConcurrentLinkedDeque<Instance> pool = restored.remove(templateId);
    if (pool != null) {
      for (Instance i; (i = pool.poll()) != null; ) {
        destroyQuietly(i.name());
      }
    }
  }

  /** Stops refilling and destroys every pending clone. Running instances are left alone. */
  @Override
  @PreDestroy
  public void close() {
    closed = true;
    refill.shutdownNow();
    try {
      // A refill creating a clone right now finishes (and sees closed) before the pools are drained.
      refill.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    List<String> ids = new ArrayList<>(pools.keySet());
    for (String id : ids) {
      ConcurrentLinkedDeque<PendingClone> pool = pools.remove(id);
      if (pool != null) {
        for (PendingClone c; (c = pool.poll()) != null; ) {
          c.discard(this);
        }
      }
    }
    for (String id : new ArrayList<>(restored.keySet())) {
      destroyRestoredAhead(id);
    }
    states.clear();
  }

  private PendingClone createPending(TemplateImage template) {
    if (closed) {
      throw new RestoreException("clone factory is closed");
    }
    if (!Files.isRegularFile(template.memoryFile()) || !Files.isRegularFile(template.stateFile())) {
      throw new RestoreException("template " + template.id() + " has no memory or state file any more ("
          + template.memoryFile() + ", " + template.stateFile() + ")");
    }
    VmIdentity id = VmIdentity.random(settings.clonePrefix());
    DomainPaths paths = settings.paths(id.name());
    Instant startedAt = Instant.now();
    long t0 = System.nanoTime();
    try {
      Files.createDirectories(settings.runDir());
      live.add(id.name());
      createShare(template, paths);
      hypervisor.create(DomainXml.render(template.definition(), VmRole.CLONE, id, paths));
      Qmp qmp = new Qmp(hypervisor, id.name());
      qmp.ignoreShared();
      // While inmigrate, cont only sets autostart: the clone runs once a running guest's state is
      // loaded (libvirt's own start-up cont does the same; this doesn't depend on it).
      qmp.cont();
      qmp.migrateIncoming("unix:" + paths.migrationSocket());
      AgentClient host = agent.connectAhead(paths.agentSocket(), settings.restoreTimeout());
      return new PendingClone(id, paths, startedAt, Duration.ofNanos(System.nanoTime() - t0), host);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      destroyQuietly(id.name());
      throw new RestoreException("pre-create clone " + id.name() + " of " + template.id() + ": interrupted", e);
    } catch (IOException | VmException e) {
      String hint = TemplateBuilder.consoleHint(paths.console());
      destroyQuietly(id.name());
      throw new RestoreException("pre-create clone " + id.name() + " of " + template.id() + ": " + e.getMessage() + hint, e);
    }
  }

  private void scheduleRefill(TemplateImage template) {
    if (closed || settings.poolSize() <= 0) {
      return;
    }
    refillsPending.incrementAndGet();
    try {
      refill.execute(() -> {
        try {
          if (restoreAhead) {
            restoreAhead(template);
          }
          prewarm(template, settings.poolSize());
        } catch (RuntimeException e) {
          LOG.warn("refilling the clone pool of {}: {}", template.id(), e.getMessage());
        } finally {
          refillsPending.decrementAndGet();
        }
      });
    } catch (RejectedExecutionException e) {
      refillsPending.decrementAndGet(); // closing
    }
  }

  /**
   * Restores clones until {@code pool-size} wait, each warmed: under TCG a fresh QEMU translates
   * every guest code path the first time it runs, so a clone's first SET_IDENTITY costs 150-370 ms
   * against ~40 ms for the second. A placeholder identity (reseeding the kernel's and the runtime's
   * randomness, as the real one does again) runs those paths here, off the cold path. Clones of
   * one template share their random state until the real identity arrives; no code runs in them
   * before that.
   */
  private void restoreAhead(TemplateImage template) {
    ConcurrentLinkedDeque<Instance> pool = restoredPool(template);
    while (!closed && pool.size() < settings.poolSize()) {
      Instance instance = loadNext(template);
      try {
        AgentClient agent = connections.acquire(instance.agentSocket(), settings.restoreTimeout());
        agent.setIdentity(AgentMessages.IdentityRequest.of("pool-" + instance.name().replaceAll("[^A-Za-z0-9._-]", ""),
            "pool", instance.identity().mac(), System.currentTimeMillis()), settings.restoreTimeout());
        warmCodePaths(agent, template.runtime(), instance.name());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        destroyQuietly(instance.name());
        return;
      } catch (RuntimeException e) {
        destroyQuietly(instance.name());
        throw e;
      }
      if (closed) {
        destroyQuietly(instance.name());
        return;
      }
      pool.add(instance);
    }
  }

  /**
   * Loads the runtime's placeholder function (resources dev/faaster/vm/warmup/RUNTIME.zip: a
   * {@code bootstrap} that prints {} for provided, {@code faaster_warmup.handler} returning {} for
   * python3), invokes it once and loads it again, so the code-load and invocation paths are
   * translated before a real function arrives, including the one that replaces code: the real
   * LOAD_CODE removes the placeholder's files and the python3 helper drops its modules, which cost
   * 8-23 ms more in the guest while that path was still untranslated. A failure only costs the
   * warm-up: the clone stays in the pool.
   */
  private void warmCodePaths(AgentClient agent, String runtime, String name) {
    Placeholder placeholder = PLACEHOLDERS.computeIfAbsent(runtime, Placeholder::of);
    if (placeholder.zip().length == 0) {
      return;
    }
    try {
      String handler = "python3".equals(runtime) ? "faaster_warmup.handler" : null;
      var load = new AgentMessages.LoadCodeRequest(runtime, handler, Map.of(), null, placeholder.sha256(), "faaster-warmup",
          "0", settings.memoryMiB());
      agent.loadCode(load, placeholder.zip(), settings.restoreTimeout());
      agent.invoke(new AgentMessages.InvokeRequest(settings.restoreTimeout().toMillis(), "warmup-" + name),
          "{}".getBytes(StandardCharsets.UTF_8), settings.restoreTimeout());
      Path share = settings.paths(name).codeShare();
      if (share != null && Files.isDirectory(share)) {
        // Mounts the share in the guest and runs the in-place path, as the real load will.
        agent.loadCode(load.inShare(DomainXml.CODE_SHARE_TAG, CodeShares.unpack(share, "warmup", placeholder.zip())),
            null, settings.restoreTimeout());
      } else {
        agent.loadCode(load, placeholder.zip(), settings.restoreTimeout());
      }
    } catch (IOException e) {
      LOG.warn("clone {}: placing the placeholder in its code share failed ({}); it stays in the pool", name,
          e.getMessage());
    } catch (AgentException e) {
      LOG.warn("clone {}: warming its code paths failed ({}); it stays in the pool", name, e.getMessage());
    }
  }

  /** A runtime's placeholder package and its digest; an empty package when the runtime has none. */
  private record Placeholder(byte[] zip, String sha256) {
    static Placeholder of(String runtime) {
      byte[] zip;
      try (InputStream in = CloneFactory.class.getResourceAsStream("warmup/" + runtime + ".zip")) {
        zip = in == null ? new byte[0] : in.readAllBytes();
      } catch (IOException e) {
        zip = new byte[0];
      }
      try {
        return new Placeholder(zip, HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(zip)));
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException("SHA-256 missing from this JVM", e);
      }
    }
  }

  private ConcurrentLinkedDeque<Instance> restoredPool(TemplateImage template) {
    return restored.computeIfAbsent(template.id(), k -> new ConcurrentLinkedDeque<>());
  }

  private static String statusOf(Qmp qmp) {
    try {
      return "state " + qmp.status();
    } catch (RuntimeException e) {
      return "domain gone";
    }
  }

  private ByteBuffer state(TemplateImage template) {
    return states.computeIfAbsent(template.id(), k -> {
      try {
        byte[] b = Files.readAllBytes(template.stateFile());
        return ByteBuffer.allocateDirect(b.length).put(b).flip().asReadOnlyBuffer();
      } catch (IOException e) {
        throw new RestoreException("cannot read the state of template " + template.id() + ": " + e.getMessage(), e);
      }
    });
  }

  private ConcurrentLinkedDeque<PendingClone> pool(TemplateImage template) {
    return pools.computeIfAbsent(template.id(), k -> new ConcurrentLinkedDeque<>());
  }

  /** Waits for the agent; the connection it answered on stays open in {@link #connections} if set. */
  private void awaitAgent(Path agentSocket, Duration timeout) throws InterruptedException {
    if (connections == null) {
      agent.awaitAnswer(agentSocket, timeout);
    } else {
      connections.adopt(agentSocket, agent.connectWhenReady(agentSocket, timeout));
    }
  }

  /** A connection the agent answered on: kept in {@link #connections} if set, else closed. */
  private void keepOrClose(Path agentSocket, AgentClient client) {
    if (connections == null) {
      client.close();
    } else {
      connections.adopt(agentSocket, client);
    }
  }

  /** A domain's code share directory, where its instance's package is linked before LOAD_CODE; empty without. */
  public Optional<Path> codeShare(TemplateImage template, String name) {
    return template.definition().codeShare() ? Optional.ofNullable(settings.paths(name).codeShare())
        : Optional.empty();
  }

  private static void createShare(TemplateImage template, DomainPaths paths) throws IOException {
    if (template.definition().codeShare()) {
      if (paths.codeShare() == null) {
        throw new RestoreException("template " + template.id() + " has a code share but faaster.vm.share-dir is not set");
      }
      CodeShares.create(paths.codeShare());
    }
  }

  private void destroyQuietly(String name) {
    try {
      destroy(name);
    } catch (RuntimeException e) {
      LOG.warn("could not destroy {}: {}", name, e.getMessage());
    }
  }

  private static Duration remaining(long deadline) {
    return Duration.ofNanos(Math.max(1_000_000, deadline - System.nanoTime()));
  }
}

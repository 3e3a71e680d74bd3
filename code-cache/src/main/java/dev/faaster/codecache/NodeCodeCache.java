package dev.faaster.codecache;

import dev.faaster.codecache.TierFailure.Reason;
import dev.faaster.packagestore.PackageFiles;
import dev.faaster.packagestore.PackageKeys;
import dev.faaster.packagestore.Sha256;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's code cache (L1): verified packages on local disk, in front of a chain of
 * {@link CodeTier}s (the zone cache, then the origin).
 *
 * <p>Entries are {@code <directory>/<sha256>.zip}. A fetched package is written to a temporary file
 * in the same directory ({@code .tmp-<sha256>-*.part}) while it is hashed, fsynced, checked against
 * its digest, renamed into place and the directory fsynced: a crash leaves at most a temporary
 * file, which the next start deletes, never a partial entry.
 *
 * <p>Verification: bytes from a tier are hashed on the way to disk and dropped unless they match.
 * Entries found on disk at start are hashed lazily, on their first use, so a restart costs no
 * up-front read of the whole cache and only packages actually used pay one sequential read; later
 * acquires compare the file's size with the recorded one (one stat, microseconds), which catches
 * truncation and deletion; the scrub hashes every entry again every {@link
 * L1Settings#scrubInterval()}, which catches flipped bits in entries that stay in use. A corrupt
 * entry is evicted (even in use: its readers already have bad bytes; Linux keeps their open files
 * readable) and fetched again.
 *
 * <p>Single flight: concurrent acquires of one digest share one fetch. Eviction is LRU under
 * {@link L1Settings#maxBytes()} and never touches an entry with an open {@link Lease}; when entries
 * in use leave no room, a demand fetch goes past the bound (the package is needed now) and a
 * prefetch gives up.
 *
 * <p>Prefetch (the seed's developer policy): after fetching a package of a tenant from a lower
 * tier, the cache fetches the tenant's other active packages in the background, a few at a time,
 * evicting nothing in use or used within {@link L1Settings#prefetchProtect()}.
 *
 * <p>L1 ignores the tenant: content addressing makes one copy serve every tenant that deploys the
 * same bytes. Ownership is checked by the control plane (which picks the digest) and by L2.
 */
public final class NodeCodeCache implements AutoCloseable {

  /** The tier name of this cache in metrics, errors and {@link Lease#source()}. */
  public static final String L1 = "l1";

  static final String TEMP_PREFIX = ".tmp-";
  /** Subdirectory of unpacked packages ({@link PackageTrees}). */
  static final String TREES = "trees";
  static final String ENTRY_SUFFIX = ".zip";

  private static final Pattern ENTRY_NAME = Pattern.compile("([0-9a-f]{64})\\.zip");
  private static final int BUFFER_BYTES = 256 * 1024;
  private static final int BACKGROUND_QUEUE = 4096;
  private static final Logger log = LoggerFactory.getLogger(NodeCodeCache.class);

  private enum Purpose {
    DEMAND,
    PREFETCH,
    REPAIR;

    String tag() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** What one background fetch came to. */
  private enum Fill {
    FETCHED,
    CACHED,
    SKIPPED,
    FAILED
  }

  /** One entry; every mutable field is guarded by {@link #lock}. */
  private static final class Entry {
    final String sha256;
    final Path path;
    final long sizeBytes;
    Instant lastUsed;
    int pins;
    boolean verified;
    boolean removed;
    String lastTenant;

    Entry(String sha256, Path path, long sizeBytes, Instant lastUsed) {
      this.sha256 = sha256;
      this.path = path;
      this.sizeBytes = sizeBytes;
      this.lastUsed = lastUsed;
    }
  }

  /** What a load produced: the entry (pinned once for a demand load; null when a prefetch gave up). */
  private record Loaded(Entry entry, String source) {}

  /** A verified temporary file, or why a tier delivered none. */
  private record Fetched(Path temp, long sizeBytes, TierFailure failure) {}

  private final L1Settings settings;
  private final Path directory;
  private final List<CodeTier> tiers;
  private final ActivePackages activePackages;
  private final CodeCacheMetrics metrics;
  private final Clock clock;
  private final LruEvictionPolicy policy = new LruEvictionPolicy();
  private final PackageTrees trees;

  private final Object lock = new Object();
  private final Map<String, Entry> entries = new HashMap<>();
  private long usedBytes;

  private final ConcurrentHashMap<String, CompletableFuture<Loaded>> inflight = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, CompletableFuture<PrefetchReport>> prefetches = new ConcurrentHashMap<>();
  /**
   * Leases {@link #pin} took, by holder, then digest. An inner map is written only inside {@code
   * pinned.compute} on its holder and read lock-free; {@link #unpin} removes it whole, so a pin
   * either lands in the map unpin releases or in a fresh one that survives it. Memory only: a
   * restarted node has no pins (and no instances holding them).
   */
  private final ConcurrentHashMap<String, Map<String, Lease>> pinned = new ConcurrentHashMap<>();
  private final Set<CompletableFuture<?>> background = ConcurrentHashMap.newKeySet();
  private final ThreadPoolExecutor backgroundPool;
  private final ScheduledExecutorService scrubScheduler;

  private NodeCodeCache(
      L1Settings settings, List<CodeTier> tiers, ActivePackages activePackages, MeterRegistry registry, Clock clock) {
    this.settings = settings;
    this.directory = settings.directory().toAbsolutePath();
    this.trees = new PackageTrees(directory.resolve(TREES), PackageTrees.Limits.DEFAULT);
    this.tiers = List.copyOf(tiers);
    this.activePackages = activePackages;
    this.metrics = new CodeCacheMetrics(registry);
    this.clock = clock;
    this.backgroundPool =
        settings.prefetchConcurrency() == 0
            ? null
            : new ThreadPoolExecutor(
                settings.prefetchConcurrency(),
                settings.prefetchConcurrency(),
                30,
                TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(BACKGROUND_QUEUE),
                daemonThreads("code-cache-prefetch"));
    if (backgroundPool != null) {
      backgroundPool.allowCoreThreadTimeOut(true);
    }
    this.scrubScheduler =
        settings.scrubInterval().isZero() ? null : Executors.newSingleThreadScheduledExecutor(daemonThreads("code-cache-scrub"));
  }

  /**
   * Opens the cache in {@code settings.directory()} (created if missing): deletes temporary files a
   * crash left, indexes the entries as unverified (hashed on first use), evicts down to the bound,
   * and starts the scrub schedule.
   *
   * @param tiers the tiers below L1, asked in order (typically the zone cache, then the origin)
   */
  public static NodeCodeCache open(
      L1Settings settings, List<CodeTier> tiers, ActivePackages activePackages, MeterRegistry registry, Clock clock)
      throws IOException {
    NodeCodeCache cache = new NodeCodeCache(settings, tiers, activePackages, registry, clock);
    cache.recover();
    cache.trees.recover();
    cache.registerGauges();
    cache.scheduleScrub();
    return cache;
  }

  /** Names of the tiers below L1, in the order they are asked. */
  public List<String> tierNames() {
    return tiers.stream().map(CodeTier::name).toList();
  }

  public Path directory() {
    return directory;
  }

  /**
   * The package, verified, on local disk, held until the lease is closed. An L1 hit costs a map
   * lookup and a stat; a miss fetches from the tiers below in order, and concurrent callers of one
   * digest share that fetch.
   *
   * @param tenantId the tenant the package runs for; L2 refuses digests the tenant doesn't own
   * @param sha256 the package's digest, lowercase hex
   * @throws CodeUnavailableException no tier delivered a verified copy; names every tier and why
   */
  public Lease acquire(String tenantId, String sha256) {
    Objects.requireNonNull(tenantId, "tenantId");
    requireDigest(sha256);
    long started = System.nanoTime();
    while (true) {
      Entry hit = pinIfReady(sha256, tenantId);
      if (hit != null) {
        if (sizeOnDiskMatches(hit)) {
          long nanos = System.nanoTime() - started;
          metrics.l1Hit(nanos, hit.sizeBytes);
          return lease(hit, L1, nanos);
        }
        release(hit);
        quarantine(hit, "its size on disk changed");
        continue;
      }
      CompletableFuture<Loaded> mine = new CompletableFuture<>();
      CompletableFuture<Loaded> running = inflight.putIfAbsent(sha256, mine);
      if (running == null) {
        Loaded loaded;
        try {
          loaded = lead(mine, tenantId, sha256, Purpose.DEMAND);
        } catch (CodeUnavailableException e) {
          metrics.acquired("unavailable", Duration.ofNanos(System.nanoTime() - started));
          throw e;
        }
        if (!L1.equals(loaded.source())) {
          prefetch(tenantId);
        }
        long nanos = System.nanoTime() - started;
        metrics.acquired(loaded.source(), Duration.ofNanos(nanos));
        return lease(loaded.entry(), loaded.source(), nanos);
      }
      Loaded joined = await(running);
      if (joined != null && joined.entry() != null && pin(joined.entry(), tenantId)) {
        long nanos = System.nanoTime() - started;
        metrics.request(L1, CodeCacheMetrics.JOINED, Purpose.DEMAND.tag(), nanos, 0);
        metrics.acquired(joined.source(), Duration.ofNanos(nanos));
        return lease(joined.entry(), joined.source(), nanos);
      }
      // The fetch we joined gave up (a prefetch without room) or its entry went away: try again.
    }
  }

  /**
   * {@link #acquire} for a holder that outlives the call, such as an instance: idempotent by
   * ({@code holderId}, {@code sha256}), so a retried activity takes one lease, not two. The lease is
   * released by {@link #unpin(String)}.
   *
   * @param holderId who holds the package, typically the instance id
   */
  public Lease pin(String holderId, String tenantId, String sha256) {
    Objects.requireNonNull(holderId, "holderId");
    Map<String, Lease> held = pinned.get(holderId);
    Lease existing = held == null ? null : held.get(sha256);
    if (existing != null) {
      return existing;
    }
    Lease lease = acquire(tenantId, sha256);
    Lease[] raced = new Lease[1];
    pinned.compute(
        holderId,
        (holder, leases) -> {
          Map<String, Lease> map = leases == null ? new ConcurrentHashMap<>(2) : leases;
          raced[0] = map.putIfAbsent(sha256, lease);
          return map;
        });
    if (raced[0] != null) {
      lease.close();
      return raced[0];
    }
    return lease;
  }

  /**
   * Releases every lease {@link #pin} took for {@code holderId}, in time proportional to that
   * holder's pins. Undoes {@link #pin}; tolerates a holder that never pinned anything (returns 0).
   * A pin that races with it either is released by it or survives it whole.
   *
   * @return leases released
   */
  public int unpin(String holderId) {
    Map<String, Lease> held = holderId == null ? null : pinned.remove(holderId);
    if (held == null) {
      return 0;
    }
    // Removed from the outer map, the inner one has no writers left.
    held.values().forEach(Lease::close);
    return held.size();
  }

  /**
   * The package of {@code lease}, unpacked (once per node) for instances to read in place; removed
   * with its L1 entry. The lease must be open.
   *
   * @throws IOException if the package can't be unpacked (unsafe entries, over the limits)
   */
  public Path tree(Lease lease) throws IOException {
    if (lease.isClosed()) {
      throw new IllegalStateException("lease on " + lease.sha256() + " is closed");
    }
    return trees.tree(lease.sha256(), lease.path());
  }

  /**
   * The package {@code holderId} pinned ({@link #pin}), unpacked: see {@link #tree(Lease)}.
   *
   * @return empty when the holder has no pin on it in this process
   */
  public Optional<Path> pinnedTree(String holderId, String sha256) throws IOException {
    Map<String, Lease> held = pinned.get(holderId);
    Lease lease = held == null ? null : held.get(sha256);
    return lease == null || lease.isClosed() ? Optional.empty() : Optional.of(tree(lease));
  }

  /** Whether the package is on this node's disk (verified or still to be verified). */
  public boolean isCached(String sha256) {
    synchronized (lock) {
      return entries.containsKey(sha256);
    }
  }

  public L1Stats stats() {
    synchronized (lock) {
      int inUse = 0;
      int unverified = 0;
      for (Entry entry : entries.values()) {
        inUse += entry.pins > 0 ? 1 : 0;
        unverified += entry.verified ? 0 : 1;
      }
      return new L1Stats(entries.size(), usedBytes, settings.maxBytes(), inUse, unverified);
    }
  }

  /**
   * Fetches, in the background, the tenant's active packages this node doesn't have. At most one
   * prefetch per tenant runs at a time; a call while one runs returns the running one. The cache
   * calls this itself after a fetch from a lower tier.
   */
  public CompletableFuture<PrefetchReport> prefetch(String tenantId) {
    if (backgroundPool == null || activePackages == ActivePackages.NONE) {
      return CompletableFuture.completedFuture(PrefetchReport.nothing(tenantId));
    }
    CompletableFuture<PrefetchReport> mine = new CompletableFuture<>();
    CompletableFuture<PrefetchReport> running = prefetches.putIfAbsent(tenantId, mine);
    if (running != null) {
      return running;
    }
    track(mine);
    try {
      backgroundPool.execute(
          () -> {
            CompletableFuture<PrefetchReport> work;
            try {
              work = startPrefetch(tenantId);
            } catch (RuntimeException e) {
              work = CompletableFuture.failedFuture(e);
            }
            work.whenComplete(
                (report, failure) -> {
                  prefetches.remove(tenantId, mine);
                  if (failure != null) {
                    log.warn("prefetch for tenant {} failed: {}", tenantId, failure.toString());
                    mine.completeExceptionally(failure);
                  } else {
                    log.debug("prefetch for tenant {}: {}", tenantId, report);
                    mine.complete(report);
                  }
                });
          });
    } catch (RejectedExecutionException e) {
      prefetches.remove(tenantId, mine);
      mine.complete(new PrefetchReport(tenantId, 0, 0, 0, 1, 0));
    }
    return mine;
  }

  /**
   * Hashes every entry again; evicts (and refetches in the background) the ones that don't match.
   * Runs on the scrub schedule; callable directly. Entries stay available while they are hashed.
   */
  public ScrubReport scrub() {
    List<Entry> snapshot;
    synchronized (lock) {
      snapshot = new ArrayList<>(entries.values());
    }
    int verified = 0;
    int corrupt = 0;
    int skipped = 0;
    for (Entry entry : snapshot) {
      boolean wasVerified;
      synchronized (lock) {
        if (entry.removed) {
          continue;
        }
        wasVerified = entry.verified;
      }
      // An unverified entry is hashed by whoever loads it first: take its single-flight slot.
      CompletableFuture<Loaded> slot = null;
      if (!wasVerified) {
        slot = new CompletableFuture<>();
        if (inflight.putIfAbsent(entry.sha256, slot) != null) {
          skipped++;
          continue;
        }
      }
      try {
        if (hashMatches(entry)) {
          synchronized (lock) {
            if (!entry.removed) {
              entry.verified = true;
            }
          }
          verified++;
        } else if (quarantine(entry, "scrub found its bytes don't match its digest")) {
          corrupt++;
          repairLater(entry);
        }
      } finally {
        if (slot != null) {
          slot.complete(null);
          inflight.remove(entry.sha256, slot);
        }
      }
    }
    return new ScrubReport(verified, corrupt, skipped, trees.scrub());
  }

  /**
   * Waits until no prefetch or repair runs (for tests and benchmarks).
   *
   * @return false if background work was still running at the timeout
   */
  public boolean awaitBackground(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      List<CompletableFuture<?>> running = background.stream().filter(f -> !f.isDone()).toList();
      if (running.isEmpty()) {
        return true;
      }
      long remaining = deadline - System.nanoTime();
      if (remaining <= 0) {
        return false;
      }
      try {
        CompletableFuture.allOf(running.toArray(CompletableFuture[]::new)).get(remaining, TimeUnit.NANOSECONDS);
      } catch (ExecutionException e) {
        // Failures are the background task's to report; we only wait.
      } catch (TimeoutException e) {
        return false;
      }
    }
  }

  /** Stops background work. Open leases stay valid; their files stay on disk. */
  @Override
  public void close() {
    if (scrubScheduler != null) {
      scrubScheduler.shutdownNow();
    }
    if (backgroundPool != null) {
      backgroundPool.shutdownNow();
      try {
        backgroundPool.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  // ---- loading -------------------------------------------------------------------------------

  /** Runs a load as the single flight's leader and publishes the result to everyone who joined. */
  private Loaded lead(CompletableFuture<Loaded> mine, String tenantId, String sha256, Purpose purpose) {
    try {
      Loaded loaded = load(tenantId, sha256, purpose);
      mine.complete(loaded);
      return loaded;
    } catch (RuntimeException | Error e) {
      mine.completeExceptionally(e);
      throw e;
    } finally {
      inflight.remove(sha256, mine);
    }
  }

  private static Loaded await(CompletableFuture<Loaded> running) {
    try {
      return running.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof CodeUnavailableException unavailable) {
        throw new CodeUnavailableException(unavailable);
      }
      if (e.getCause() instanceof RuntimeException runtime) {
        throw runtime;
      }
      throw e;
    }
  }

  private Loaded load(String tenantId, String sha256, Purpose purpose) {
    long started = System.nanoTime();
    List<TierFailure> failures = new ArrayList<>();
    Entry existing;
    synchronized (lock) {
      existing = entries.get(sha256);
    }
    if (existing != null) {
      boolean good = isVerified(existing) || hashMatches(existing);
      if (good && keepVerified(existing, tenantId, purpose == Purpose.DEMAND)) {
        if (purpose == Purpose.DEMAND) {
          metrics.request(L1, CodeCacheMetrics.HIT, purpose.tag(), System.nanoTime() - started, existing.sizeBytes);
        }
        return new Loaded(existing, L1);
      }
      if (good) {
        failures.add(new TierFailure(L1, Reason.NOT_FOUND, "evicted while it was verified"));
      } else {
        quarantine(existing, "its bytes don't match its digest");
        failures.add(new TierFailure(L1, Reason.CORRUPT, "entry on disk didn't match its digest; evicted"));
        metrics.request(L1, CodeCacheMetrics.CORRUPT, purpose.tag(), System.nanoTime() - started, 0);
      }
    } else {
      failures.add(new TierFailure(L1, Reason.NOT_FOUND, "not cached on this node"));
      if (purpose == Purpose.DEMAND) {
        metrics.request(L1, CodeCacheMetrics.MISS, purpose.tag(), System.nanoTime() - started, 0);
      }
    }

    for (CodeTier tier : tiers) {
      Fetched fetched = fetch(tier, tenantId, sha256, purpose);
      if (fetched.failure() != null) {
        failures.add(fetched.failure());
        if (fetched.failure().reason() == Reason.DENIED) {
          break;
        }
        continue;
      }
      try {
        Entry installed = install(sha256, fetched.temp(), fetched.sizeBytes(), tenantId, purpose);
        return new Loaded(installed, tier.name());
      } catch (IOException e) {
        PackageFiles.deleteQuietly(fetched.temp());
        log.error("cannot install {} in {}: {}", sha256, directory, e.toString());
        failures.add(new TierFailure(L1, Reason.UNAVAILABLE, "cannot install what " + tier.name() + " sent: " + e));
        break;
      }
    }
    throw new CodeUnavailableException(sha256, failures);
  }

  /** Asks one tier, writing what it sends to a temporary file while hashing it. */
  private Fetched fetch(CodeTier tier, String tenantId, String sha256, Purpose purpose) {
    long started = System.nanoTime();
    Optional<InputStream> opened;
    try {
      opened = tier.open(tenantId, sha256);
    } catch (CodeAccessDeniedException e) {
      return failed(tier, Reason.DENIED, CodeCacheMetrics.DENIED, e.getMessage(), purpose, started);
    } catch (IOException | RuntimeException e) {
      log.warn("{} failed to open {}: {}", tier.name(), sha256, e.toString());
      return failed(tier, Reason.UNAVAILABLE, CodeCacheMetrics.ERROR, e.toString(), purpose, started);
    }
    if (opened.isEmpty()) {
      return failed(tier, Reason.NOT_FOUND, CodeCacheMetrics.MISS, "", purpose, started);
    }
    Path temp = null;
    try (InputStream in = opened.get()) {
      temp = Files.createTempFile(directory, TEMP_PREFIX + sha256 + "-", ".part");
      long limit = settings.maxBytes();
      MessageDigest digest = Sha256.newDigest();
      long size = 0;
      byte[] buffer = new byte[BUFFER_BYTES];
      try (FileChannel out = FileChannel.open(temp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
        int read;
        while ((read = in.read(buffer)) != -1) {
          size += read;
          if (size > limit) {
            PackageFiles.deleteQuietly(temp);
            return failed(tier, Reason.TOO_LARGE, CodeCacheMetrics.TOO_LARGE,
                "more than the cache's " + limit + " bytes", purpose, started);
          }
          digest.update(buffer, 0, read);
          ByteBuffer chunk = ByteBuffer.wrap(buffer, 0, read);
          while (chunk.hasRemaining()) {
            out.write(chunk);
          }
        }
        out.force(true);
      }
      String actual = Sha256.hex(digest);
      if (!actual.equals(sha256)) {
        PackageFiles.deleteQuietly(temp);
        log.error("{} served corrupt bytes for {}: {} bytes hashing to {}; dropped", tier.name(), sha256, size, actual);
        return failed(tier, Reason.CORRUPT, CodeCacheMetrics.CORRUPT,
            "served " + size + " bytes hashing to " + actual, purpose, started);
      }
      metrics.request(tier.name(), CodeCacheMetrics.HIT, purpose.tag(), System.nanoTime() - started, size);
      return new Fetched(temp, size, null);
    } catch (IOException | RuntimeException e) {
      PackageFiles.deleteQuietly(temp);
      log.warn("{} failed while sending {}: {}", tier.name(), sha256, e.toString());
      return failed(tier, Reason.UNAVAILABLE, CodeCacheMetrics.ERROR, "read failed: " + e, purpose, started);
    }
  }

  private Fetched failed(CodeTier tier, Reason reason, String outcome, String detail, Purpose purpose, long started) {
    metrics.request(tier.name(), outcome, purpose.tag(), System.nanoTime() - started, 0);
    return new Fetched(null, 0, new TierFailure(tier.name(), reason, detail));
  }

  /**
   * Makes room, renames the verified temporary file into place and indexes it. A demand install
   * comes back pinned once for its caller; a prefetch that finds no room returns null.
   */
  private Entry install(String sha256, Path temp, long sizeBytes, String tenantId, Purpose purpose) throws IOException {
    Entry entry;
    synchronized (lock) {
      entry = installLocked(sha256, temp, sizeBytes, tenantId, purpose);
    }
    if (entry == null) {
      PackageFiles.deleteQuietly(temp);
      metrics.request(L1, CodeCacheMetrics.SKIPPED, purpose.tag(), 0, 0);
      log.debug("no room to prefetch {} ({} bytes) without evicting entries in use or recently used", sha256, sizeBytes);
      return null;
    }
    fsyncDirectory();
    return entry;
  }

  private Entry installLocked(String sha256, Path temp, long sizeBytes, String tenantId, Purpose purpose)
      throws IOException {
    Instant now = clock.instant();
    Duration protect = purpose == Purpose.PREFETCH ? settings.prefetchProtect() : Duration.ZERO;
    LruEvictionPolicy.Decision decision = policy.decide(candidatesLocked(), settings.maxBytes(), sizeBytes, now, protect);
    if (!decision.fits() && purpose == Purpose.PREFETCH) {
      return null;
    }
    for (String victim : decision.evict()) {
      removeLocked(entries.get(victim), "lru", true);
    }
    if (!decision.fits()) {
      log.warn("L1 goes past its bound to {} bytes (max {}): the entries in use leave no room for {}",
          decision.bytesAfter(), settings.maxBytes(), sha256);
    }
    Files.move(temp, entryPath(sha256), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    Entry previous = entries.get(sha256);
    if (previous != null) {
      removeLocked(previous, "replaced", false);
    }
    Entry entry = new Entry(sha256, entryPath(sha256), sizeBytes, now);
    entry.verified = true;
    entry.lastTenant = tenantId;
    entry.pins = purpose == Purpose.DEMAND ? 1 : 0;
    entries.put(sha256, entry);
    usedBytes += sizeBytes;
    return entry;
  }

  // ---- prefetch and repair ---------------------------------------------------------------------

  private CompletableFuture<PrefetchReport> startPrefetch(String tenantId) {
    List<String> listed;
    try {
      listed = activePackages.activeDigests(tenantId);
    } catch (RuntimeException e) {
      log.warn("cannot list the active packages of tenant {}: {}", tenantId, e.toString());
      return CompletableFuture.completedFuture(new PrefetchReport(tenantId, 0, 0, 0, 0, 1));
    }
    Set<String> digests = new LinkedHashSet<>(listed);
    AtomicInteger cached = new AtomicInteger();
    AtomicInteger fetched = new AtomicInteger();
    AtomicInteger skipped = new AtomicInteger();
    AtomicInteger failed = new AtomicInteger();
    List<CompletableFuture<Void>> work = new ArrayList<>();
    for (String sha256 : digests) {
      if (!PackageKeys.isDigest(sha256)) {
        log.warn("active packages of tenant {} list a malformed digest: {}", tenantId, sha256);
        failed.incrementAndGet();
      } else if (isCached(sha256) || inflight.containsKey(sha256)) {
        cached.incrementAndGet();
      } else {
        try {
          work.add(CompletableFuture.runAsync(() -> {
            switch (fillInBackground(tenantId, sha256, Purpose.PREFETCH)) {
              case FETCHED -> fetched.incrementAndGet();
              case CACHED -> cached.incrementAndGet();
              case SKIPPED -> skipped.incrementAndGet();
              case FAILED -> failed.incrementAndGet();
            }
          }, backgroundPool));
        } catch (RejectedExecutionException e) {
          skipped.incrementAndGet();
        }
      }
    }
    return CompletableFuture.allOf(work.toArray(CompletableFuture[]::new))
        .thenApply(v -> new PrefetchReport(tenantId, digests.size(), cached.get(), fetched.get(), skipped.get(), failed.get()));
  }

  /** One background fetch through the single flight; never pins. */
  private Fill fillInBackground(String tenantId, String sha256, Purpose purpose) {
    if (isCached(sha256)) {
      return Fill.CACHED;
    }
    CompletableFuture<Loaded> mine = new CompletableFuture<>();
    if (inflight.putIfAbsent(sha256, mine) != null) {
      return Fill.CACHED;
    }
    try {
      Loaded loaded = lead(mine, tenantId, sha256, purpose);
      if (loaded.entry() == null) {
        return Fill.SKIPPED;
      }
      return L1.equals(loaded.source()) ? Fill.CACHED : Fill.FETCHED;
    } catch (CodeUnavailableException e) {
      log.info("background {} of {} for tenant {} failed: {}", purpose.tag(), sha256, tenantId, e.getMessage());
      return Fill.FAILED;
    }
  }

  private void repairLater(Entry corrupt) {
    String tenantId;
    synchronized (lock) {
      tenantId = corrupt.lastTenant;
    }
    if (tenantId == null || backgroundPool == null) {
      return; // The next acquire fetches it.
    }
    try {
      track(CompletableFuture.runAsync(() -> fillInBackground(tenantId, corrupt.sha256, Purpose.REPAIR), backgroundPool));
    } catch (RejectedExecutionException e) {
      log.info("no room in the background queue to repair {}; the next acquire fetches it", corrupt.sha256);
    }
  }

  private void track(CompletableFuture<?> future) {
    background.add(future);
    future.whenComplete((r, e) -> background.remove(future));
  }

  // ---- entries -------------------------------------------------------------------------------

  private Entry pinIfReady(String sha256, String tenantId) {
    synchronized (lock) {
      Entry entry = entries.get(sha256);
      if (entry == null || !entry.verified) {
        return null;
      }
      entry.pins++;
      entry.lastUsed = clock.instant();
      entry.lastTenant = tenantId;
      return entry;
    }
  }

  private boolean pin(Entry entry, String tenantId) {
    synchronized (lock) {
      if (entry.removed) {
        return false;
      }
      entry.pins++;
      entry.lastUsed = clock.instant();
      entry.lastTenant = tenantId;
      return true;
    }
  }

  private void release(Entry entry) {
    synchronized (lock) {
      if (entry.pins > 0) {
        entry.pins--;
      }
      entry.lastUsed = clock.instant();
    }
  }

  /** Marks a still-indexed entry verified and used (pinned for a demand load); false if it went away. */
  private boolean keepVerified(Entry entry, String tenantId, boolean pinIt) {
    synchronized (lock) {
      if (entry.removed) {
        return false;
      }
      entry.verified = true;
      entry.lastTenant = tenantId;
      entry.lastUsed = clock.instant();
      if (pinIt) {
        entry.pins++;
      }
      return true;
    }
  }

  private boolean isVerified(Entry entry) {
    synchronized (lock) {
      return entry.verified;
    }
  }

  private Lease lease(Entry entry, String source, long nanos) {
    return new Lease(entry.sha256, entry.path, entry.sizeBytes, source, Duration.ofNanos(nanos), () -> release(entry));
  }

  /** Evicts an entry whose bytes are wrong, even in use. False if it was already gone. */
  private boolean quarantine(Entry entry, String why) {
    int pins;
    synchronized (lock) {
      if (entries.get(entry.sha256) != entry) {
        return false;
      }
      pins = entry.pins;
      removeLocked(entry, "corrupt", true);
    }
    log.error("L1 entry {} is corrupt: {}; evicted{}", entry.sha256, why, pins > 0 ? " while " + pins + " leases held it" : "");
    return true;
  }

  private void removeLocked(Entry entry, String reason, boolean deleteFile) {
    entries.remove(entry.sha256, entry);
    entry.removed = true;
    usedBytes -= entry.sizeBytes;
    metrics.evicted(reason, entry.sizeBytes);
    if (deleteFile) {
      PackageFiles.deleteQuietly(entry.path);
    }
    // Instances reading it keep their links to its files; new ones unpack the fetched-again entry.
    trees.remove(entry.sha256);
  }

  private List<LruEvictionPolicy.Candidate> candidatesLocked() {
    List<LruEvictionPolicy.Candidate> candidates = new ArrayList<>(entries.size());
    for (Entry entry : entries.values()) {
      candidates.add(new LruEvictionPolicy.Candidate(entry.sha256, entry.sizeBytes, entry.lastUsed, entry.pins));
    }
    return candidates;
  }

  private static boolean sizeOnDiskMatches(Entry entry) {
    try {
      return Files.size(entry.path) == entry.sizeBytes;
    } catch (IOException e) {
      return false;
    }
  }

  /** Size and sha256 of the file on disk against the entry's. */
  private static boolean hashMatches(Entry entry) {
    MessageDigest digest = Sha256.newDigest();
    long size = 0;
    try (FileChannel in = FileChannel.open(entry.path, StandardOpenOption.READ)) {
      ByteBuffer buffer = ByteBuffer.allocate(BUFFER_BYTES);
      while (in.read(buffer) != -1) {
        buffer.flip();
        size += buffer.remaining();
        digest.update(buffer);
        buffer.clear();
      }
    } catch (NoSuchFileException e) {
      return false;
    } catch (IOException e) {
      log.warn("cannot read L1 entry {}: {}", entry.path, e.toString());
      return false;
    }
    return size == entry.sizeBytes && Sha256.hex(digest).equals(entry.sha256);
  }

  private Path entryPath(String sha256) {
    return directory.resolve(sha256 + ENTRY_SUFFIX);
  }

  // ---- start ---------------------------------------------------------------------------------

  private void recover() throws IOException {
    Files.createDirectories(directory);
    int temporaries = 0;
    try (DirectoryStream<Path> files = Files.newDirectoryStream(directory)) {
      for (Path file : files) {
        String name = file.getFileName().toString();
        if (name.startsWith(TEMP_PREFIX)) {
          Files.deleteIfExists(file);
          temporaries++;
          continue;
        }
        if (Files.isDirectory(file)) {
          continue; // unpacked packages (trees/) and the instances' code shares live beside the entries
        }
        Matcher entryName = ENTRY_NAME.matcher(name);
        if (!entryName.matches() || !Files.isRegularFile(file)) {
          log.warn("{} is not an L1 entry; left alone", file);
          continue;
        }
        Instant installed = Files.getLastModifiedTime(file).toInstant();
        Entry entry = new Entry(entryName.group(1), file, Files.size(file), installed);
        entries.put(entry.sha256, entry);
        usedBytes += entry.sizeBytes;
      }
    }
    if (temporaries > 0) {
      fsyncDirectory();
    }
    synchronized (lock) {
      LruEvictionPolicy.Decision decision =
          policy.decide(candidatesLocked(), settings.maxBytes(), 0, clock.instant(), Duration.ZERO);
      for (String victim : decision.evict()) {
        removeLocked(entries.get(victim), "lru", true);
      }
    }
    log.info("L1 cache at {}: {} entries, {} bytes (max {}), {} leftover temporary files deleted",
        directory, entries.size(), usedBytes, settings.maxBytes(), temporaries);
  }

  private void registerGauges() {
    metrics.gauge("faaster.code.cache.l1.used", "bytes", this, c -> c.stats().usedBytes());
    metrics.gauge("faaster.code.cache.l1.max", "bytes", this, c -> c.settings.maxBytes());
    metrics.gauge("faaster.code.cache.l1.entries", "entries", this, c -> c.stats().entries());
    metrics.gauge("faaster.code.cache.l1.in.use", "entries", this, c -> c.stats().pinnedEntries());
  }

  private void scheduleScrub() {
    if (scrubScheduler == null) {
      return;
    }
    long period = settings.scrubInterval().toMillis();
    scrubScheduler.scheduleWithFixedDelay(
        () -> {
          try {
            ScrubReport report = scrub();
            log.info("L1 scrub: {}", report);
          } catch (RuntimeException e) {
            log.error("L1 scrub failed", e);
          }
        },
        period,
        period,
        TimeUnit.MILLISECONDS);
  }

  private void fsyncDirectory() {
    try (FileChannel dir = FileChannel.open(directory, StandardOpenOption.READ)) {
      dir.force(true);
    } catch (IOException e) {
      // Some filesystems can't fsync a directory; the rename is then as durable as they make it.
      log.debug("cannot fsync {}: {}", directory, e.toString());
    }
  }

  private static void requireDigest(String sha256) {
    if (!PackageKeys.isDigest(sha256)) {
      throw new IllegalArgumentException("not a lowercase hex sha256: " + sha256);
    }
  }

  private static ThreadFactory daemonThreads(String prefix) {
    AtomicInteger count = new AtomicInteger();
    return runnable -> {
      Thread thread = new Thread(runnable, prefix + "-" + count.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    };
  }
}

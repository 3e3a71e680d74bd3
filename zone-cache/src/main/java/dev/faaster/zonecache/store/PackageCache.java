package dev.faaster.zonecache.store;

import dev.faaster.zonecache.ZoneCacheConfiguration;
import dev.faaster.zonecache.store.PackageUnavailableException.Reason;
import io.micronaut.context.annotation.Context;
import io.micronaut.core.annotation.Nullable;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The zone cache: packages by digest on local disk, filled from the origin on a miss. Every entry
 * was hashed before it was installed, and is hashed again on its first read after a start or after
 * its file changed; a mismatch evicts it and fetches it again, it is never served. Concurrent misses
 * of one digest cause one origin fetch. Over its size bound it evicts as {@link EvictionPolicy}
 * decides. Created at start ({@code @Context}): start deletes unfinished downloads and indexes
 * the entries.
 */
@Context
public class PackageCache {

  private static final Logger log = LoggerFactory.getLogger(PackageCache.class);

  /** What {@link #ensure} did. */
  enum Outcome {
    /** The cache held a good copy. */
    HELD,
    /** It was fetched from the origin (by this request or the one it waited for). */
    FETCHED
  }

  private final DiskStore disk;
  private final Origin origin;
  private final PackageRegistry registry;
  private final ZoneCacheMetrics metrics;
  private final Clock clock;
  private final EvictionPolicy policy;

  private final Map<String, CacheEntry> index = new ConcurrentHashMap<>();
  private final Map<String, CompletableFuture<Outcome>> inflight = new ConcurrentHashMap<>();
  private final AtomicLong storedBytes = new AtomicLong();
  /** Guards index changes together with their file changes (install, remove). */
  private final Object lock = new Object();
  /** One eviction pass at a time. */
  private final Object evictionLock = new Object();

  public PackageCache(
      ZoneCacheConfiguration configuration,
      Origin origin,
      PackageRegistry registry,
      ZoneCacheMetrics metrics,
      Clock clock) {
    this.disk = new DiskStore(Path.of(configuration.directory()));
    this.origin = origin;
    this.registry = registry;
    this.metrics = metrics;
    this.clock = clock;
    this.policy = new EvictionPolicy(configuration.maxBytes(), configuration.evictionGrace());
    try {
      for (DiskStore.Found found : disk.open()) {
        // Not verified yet: the first read after this start hashes it.
        CacheEntry entry =
            new CacheEntry(found.sha256(), found.state().sizeBytes(), found.state().modified().toInstant(), null);
        index.put(found.sha256(), entry);
        storedBytes.addAndGet(entry.sizeBytes());
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open the zone cache directory " + disk.directory() + ": " + e.getMessage(), e);
    }
    metrics.gauge("faaster.cache.stored.bytes", "Bytes of the entries held", "bytes", this, PackageCache::storedBytes);
    metrics.gauge("faaster.cache.entries", "Entries held", "entries", this, PackageCache::entries);
    log.info(
        "zone cache in {}: {} entries, {} of {} bytes; origin {}",
        disk.directory(),
        index.size(),
        storedBytes.get(),
        policy.maxBytes(),
        origin.describe());
  }

  public Path directory() {
    return disk.directory();
  }

  public long storedBytes() {
    return storedBytes.get();
  }

  public long maxBytes() {
    return policy.maxBytes();
  }

  public int entries() {
    return index.size();
  }

  /** Whether the cache holds an entry for the digest (verified or not). */
  public boolean holds(String sha256) {
    return index.containsKey(sha256);
  }

  /**
   * The package, verified and open for reading; fetched from the origin first if the cache doesn't
   * hold a good copy.
   */
  public CachedPackage open(String sha256) throws PackageUnavailableException {
    CachedPackage held = openTrusted(sha256, true);
    if (held != null) {
      metrics.request(true);
      return held;
    }
    // Twice at most: an eviction may remove the entry between the fill and the open.
    for (int attempt = 0; attempt < 2; attempt++) {
      Outcome outcome = ensure(sha256);
      CachedPackage opened = openTrusted(sha256, outcome == Outcome.HELD);
      if (opened != null) {
        metrics.request(opened.hit());
        return opened;
      }
    }
    throw new PackageUnavailableException(
        Reason.CACHE_STORAGE_FAILED, "The zone cache installed package " + sha256 + " but could not open it.");
  }

  /**
   * Makes sure the cache holds a verified copy (the deploy workflow's warm-up).
   *
   * @return true if it had to fetch it from the origin
   */
  public boolean warm(String sha256) throws PackageUnavailableException {
    if (trusted(sha256) != null) {
      return false;
    }
    return ensure(sha256) == Outcome.FETCHED;
  }

  @Nullable
  private CacheEntry trusted(String sha256) {
    CacheEntry entry = index.get(sha256);
    return entry != null && entry.trusted(disk.stat(sha256)) ? entry : null;
  }

  /** Opens the entry if its file is still the one that was verified; null otherwise. */
  @Nullable
  private CachedPackage openTrusted(String sha256, boolean hit) throws PackageUnavailableException {
    CacheEntry entry = index.get(sha256);
    if (entry == null) {
      return null;
    }
    Path path = disk.path(sha256);
    FileChannel channel;
    try {
      channel = FileChannel.open(path, StandardOpenOption.READ);
    } catch (NoSuchFileException e) {
      return null;
    } catch (IOException e) {
      throw new PackageUnavailableException(
          Reason.CACHE_STORAGE_FAILED, "The zone cache cannot read " + path + ": " + e.getMessage(), e);
    }
    // Stat after open: the open channel reads exactly the file this state describes.
    FileState state = disk.stat(sha256);
    if (!entry.trusted(state)) {
      closeQuietly(channel);
      return null;
    }
    entry.used(clock.instant());
    return new CachedPackage(sha256, channel, state.sizeBytes(), state.modified().toInstant(), hit);
  }

  /** Single flight: the first caller verifies or fetches, concurrent callers of one digest wait for it. */
  Outcome ensure(String sha256) throws PackageUnavailableException {
    CompletableFuture<Outcome> mine = new CompletableFuture<>();
    CompletableFuture<Outcome> running = inflight.putIfAbsent(sha256, mine);
    if (running != null) {
      return await(running);
    }
    try {
      Outcome outcome = verifyOrFetch(sha256);
      mine.complete(outcome);
      return outcome;
    } catch (PackageUnavailableException | RuntimeException | Error e) {
      mine.completeExceptionally(e);
      throw e;
    } finally {
      inflight.remove(sha256, mine);
    }
  }

  private static Outcome await(CompletableFuture<Outcome> running) throws PackageUnavailableException {
    try {
      return running.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new PackageUnavailableException(Reason.CACHE_STORAGE_FAILED, "Interrupted while waiting for a fill.", e);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof PackageUnavailableException unavailable) {
        throw new PackageUnavailableException(unavailable.reason(), unavailable.getMessage(), unavailable);
      }
      if (cause instanceof RuntimeException runtime) {
        throw runtime;
      }
      throw new IllegalStateException(cause);
    }
  }

  private Outcome verifyOrFetch(String sha256) throws PackageUnavailableException {
    CacheEntry entry = index.get(sha256);
    if (entry != null) {
      FileState before = disk.stat(sha256);
      if (entry.trusted(before)) {
        return Outcome.HELD; // verified or installed by the flight that just ended
      }
      if (before != null && matches(sha256)) {
        entry.verified(before);
        return Outcome.HELD;
      }
      log.warn("zone cache entry {} is corrupt or gone (file {}); evicting it and fetching it again", sha256, before);
      if (before != null) {
        metrics.corrupt("disk");
      }
      remove(sha256, entry);
    }
    fetch(sha256);
    return Outcome.FETCHED;
  }

  private boolean matches(String sha256) {
    try {
      return disk.hash(sha256).equals(sha256);
    } catch (IOException e) {
      log.warn("cannot hash zone cache entry {}: {}", sha256, e.getMessage());
      return false;
    }
  }

  private void fetch(String sha256) throws PackageUnavailableException {
    long started = System.nanoTime();
    String outcome = "error";
    try {
      FileState state;
      try (InputStream in = origin.open(sha256)) {
        state = disk.install(sha256, in, policy.maxBytes());
      } catch (IOException e) {
        // Closing the origin stream failed; the entry, if installed, was verified.
        throw new PackageUnavailableException(
            Reason.ORIGIN_UNAVAILABLE, "Closing the origin stream of " + sha256 + " failed: " + e.getMessage(), e);
      }
      CacheEntry entry = new CacheEntry(sha256, state.sizeBytes(), clock.instant(), state);
      synchronized (lock) {
        CacheEntry previous = index.put(sha256, entry);
        storedBytes.addAndGet(entry.sizeBytes() - (previous == null ? 0 : previous.sizeBytes()));
      }
      outcome = "ok";
    } catch (PackageUnavailableException e) {
      outcome = e.reason().name().toLowerCase();
      if (e.reason() == Reason.ORIGIN_DIGEST_MISMATCH) {
        metrics.corrupt("origin");
        log.error("{}", e.getMessage());
      }
      throw e;
    } finally {
      metrics.originFetch(Duration.ofNanos(System.nanoTime() - started), outcome);
    }
    evictIfOverBound();
  }

  /** Removes the entry and its file, unless the index has moved on to another entry meanwhile. */
  private boolean remove(String sha256, CacheEntry expected) {
    synchronized (lock) {
      if (!index.remove(sha256, expected)) {
        return false;
      }
      storedBytes.addAndGet(-expected.sizeBytes());
      disk.delete(sha256);
      return true;
    }
  }

  /** Brings the cache under its size bound as {@link EvictionPolicy} decides. */
  public void evictIfOverBound() {
    synchronized (evictionLock) {
      if (storedBytes.get() <= policy.maxBytes()) {
        return;
      }
      Map<String, CacheEntry> snapshot = new HashMap<>(index);
      Map<String, Instant> usedAt = new HashMap<>();
      snapshot.forEach((sha256, entry) -> usedAt.put(sha256, entry.lastUsed()));
      Set<String> active;
      try {
        active = registry.active(snapshot.keySet());
      } catch (RuntimeException e) {
        // Without the registry nothing counts as inactive: least recently used goes first.
        log.warn("cannot ask the registry which packages are active ({}); evicting by recent use only", e.getMessage());
        active = snapshot.keySet();
      }
      List<EvictionCandidate> candidates = new ArrayList<>();
      for (Map.Entry<String, CacheEntry> e : snapshot.entrySet()) {
        candidates.add(
            new EvictionCandidate(
                e.getKey(), e.getValue().sizeBytes(), usedAt.get(e.getKey()), active.contains(e.getKey())));
      }
      EvictionPlan plan = policy.plan(candidates, clock.instant());
      for (EvictionPlan.Eviction eviction : plan.evictions()) {
        CacheEntry entry = snapshot.get(eviction.sha256());
        // Read since the snapshot: it isn't the entry the policy judged any more.
        if (!entry.lastUsed().equals(usedAt.get(eviction.sha256()))) {
          continue;
        }
        if (remove(eviction.sha256(), entry)) {
          metrics.evicted(eviction.reason(), eviction.sizeBytes());
          log.info("evicted {} ({} bytes, {})", eviction.sha256(), eviction.sizeBytes(), eviction.reason());
        }
      }
      if (!plan.withinBound()) {
        log.warn(
            "zone cache holds {} bytes, over its bound of {}: every other entry was used within the grace period",
            storedBytes.get(),
            policy.maxBytes());
      }
    }
  }

  private static void closeQuietly(FileChannel channel) {
    try {
      channel.close();
    } catch (IOException e) {
      log.debug("cannot close a package channel: {}", e.getMessage());
    }
  }
}

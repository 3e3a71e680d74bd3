package dev.faaster.codecache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.faaster.codecache.TierFailure.Reason;
import dev.faaster.packagestore.Sha256;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The node cache over hand-written tiers, on real files. */
class NodeCodeCacheTest {

  private static final String TENANT = "tenant-a";
  private static final int KB = 1024;

  @TempDir Path directory;

  private final MapTier l2 = new MapTier("l2");
  private final MapTier origin = new MapTier("origin");
  private final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final List<NodeCodeCache> opened = new ArrayList<>();

  @AfterEach
  void closeCaches() {
    opened.forEach(NodeCodeCache::close);
  }

  @Test
  void aMissIsServedByTheFirstTierHoldingThePackageAndTheNextAcquireHitsL1() throws IOException {
    TestPackage p = TestPackage.random(50 * KB);
    l2.holding(p);
    origin.holding(p);
    NodeCodeCache cache = open(settings());

    try (Lease first = cache.acquire(TENANT, p.sha256())) {
      assertThat(first.source()).isEqualTo("l2");
      assertThat(first.path()).isEqualTo(directory.toAbsolutePath().resolve(p.sha256() + ".zip"));
      assertThat(Files.readAllBytes(first.path())).isEqualTo(p.bytes());
    }
    try (Lease second = cache.acquire(TENANT, p.sha256())) {
      assertThat(second.source()).isEqualTo("l1");
      assertThat(second.sizeBytes()).isEqualTo(p.size());
    }

    assertThat(l2.opens()).isEqualTo(1);
    assertThat(origin.opens()).isZero();
  }

  @Test
  void flippedByteInAnL1EntryIsDetectedOnFirstUseAfterRestartAndRefetched() throws IOException {
    TestPackage p = TestPackage.random(64 * KB);
    origin.holding(p);
    NodeCodeCache before = open(settings());
    before.acquire(TENANT, p.sha256()).close();
    before.close();
    Files.write(entry(p), p.flipped(1000));

    NodeCodeCache after = open(settings());
    assertThat(after.stats().unverifiedEntries()).isEqualTo(1);
    try (Lease lease = after.acquire(TENANT, p.sha256())) {
      assertThat(lease.source()).isEqualTo("origin");
      assertThat(Files.readAllBytes(lease.path())).isEqualTo(p.bytes());
    }

    assertThat(origin.opens()).isEqualTo(2);
    assertThat(count("l1", CodeCacheMetrics.CORRUPT)).isEqualTo(1);
  }

  @Test
  void entryThatSurvivesTheRestartIntactIsVerifiedOnceAndServedFromL1() throws IOException {
    TestPackage p = TestPackage.random(64 * KB);
    origin.holding(p);
    NodeCodeCache before = open(settings());
    before.acquire(TENANT, p.sha256()).close();
    before.close();

    NodeCodeCache after = open(settings());
    try (Lease lease = after.acquire(TENANT, p.sha256())) {
      assertThat(lease.source()).isEqualTo("l1");
    }

    assertThat(after.stats().unverifiedEntries()).isZero();
    assertThat(origin.opens()).isEqualTo(1);
  }

  @Test
  void flippedByteInAnL1EntryIsFoundByTheScrubEvictedAndRepairedInTheBackground() throws Exception {
    TestPackage p = TestPackage.random(64 * KB);
    TestPackage intact = TestPackage.random(8 * KB);
    origin.holding(p, intact);
    NodeCodeCache cache = open(settings());
    cache.acquire(TENANT, p.sha256()).close();
    cache.acquire(TENANT, intact.sha256()).close();
    Files.write(entry(p), p.flipped(7));

    ScrubReport report = cache.scrub();

    assertThat(report).isEqualTo(new ScrubReport(1, 1, 0));
    assertThat(cache.awaitBackground(Duration.ofSeconds(10))).isTrue();
    assertThat(Files.readAllBytes(entry(p))).isEqualTo(p.bytes());
    assertThat(origin.opens()).isEqualTo(3);
    try (Lease lease = cache.acquire(TENANT, p.sha256())) {
      assertThat(lease.source()).isEqualTo("l1");
    }
  }

  @Test
  void thePinnedPackageIsUnpackedOnceAndItsTreeGoesWithItsEntry() throws Exception {
    Path zipFile = PackageTreesTest.zip(Files.createDirectories(directory.resolve("src")).resolve("pkg.zip"), Map.of("bootstrap*", "#!/bin/sh\n"));
    byte[] zipBytes = Files.readAllBytes(zipFile);
    TestPackage p = new TestPackage(zipBytes, dev.faaster.packagestore.Sha256.hex(zipBytes));
    TestPackage other = TestPackage.random(50 * KB);
    origin.holding(p, other);
    NodeCodeCache cache = open(settings().withMaxBytes(50 * KB));

    assertThat(cache.pinnedTree("i-1", p.sha256())).as("no pin, no tree").isEmpty();
    cache.pin("i-1", TENANT, p.sha256());
    Path tree = cache.pinnedTree("i-1", p.sha256()).orElseThrow();
    assertThat(tree.resolve("bootstrap")).isRegularFile().isExecutable();
    assertThat(cache.pinnedTree("i-1", p.sha256())).contains(tree);

    cache.unpin("i-1");
    clock.advance(Duration.ofMinutes(1));
    cache.acquire(TENANT, other.sha256()).close(); // needs the room: the idle package is evicted
    assertThat(cache.isCached(p.sha256())).isFalse();
    assertThat(tree).as("evicted with its entry").doesNotExist();
  }

  @Test
  void truncatedL1EntryIsCaughtByTheSizeCheckAndRefetched() throws IOException {
    TestPackage p = TestPackage.random(64 * KB);
    origin.holding(p);
    NodeCodeCache cache = open(settings());
    cache.acquire(TENANT, p.sha256()).close();
    Files.write(entry(p), Arrays.copyOf(p.bytes(), 1000));

    try (Lease lease = cache.acquire(TENANT, p.sha256())) {
      assertThat(lease.source()).isEqualTo("origin");
      assertThat(Files.readAllBytes(lease.path())).isEqualTo(p.bytes());
    }
  }

  @Test
  void flippedByteInAnL2ResponseIsReportedAndTheOriginServes() throws IOException {
    TestPackage p = TestPackage.random(64 * KB);
    l2.serve(p.sha256(), p.flipped(4242));
    origin.holding(p);
    NodeCodeCache cache = open(settings());

    try (Lease lease = cache.acquire(TENANT, p.sha256())) {
      assertThat(lease.source()).isEqualTo("origin");
      assertThat(Files.readAllBytes(lease.path())).isEqualTo(p.bytes());
    }

    assertThat(count("l2", CodeCacheMetrics.CORRUPT)).isEqualTo(1);
    assertThat(count("origin", CodeCacheMetrics.HIT)).isEqualTo(1);
    assertThat(temporaryFiles()).isEmpty();
  }

  @Test
  void flippedByteInTheOriginCopyIsReportedNeverServedAndServedOnceTheCopyIsRepaired() throws IOException {
    TestPackage p = TestPackage.random(64 * KB);
    origin.serve(p.sha256(), p.flipped(0));
    NodeCodeCache cache = open(settings());

    CodeUnavailableException unavailable =
        catchThrowableOfType(CodeUnavailableException.class, () -> cache.acquire(TENANT, p.sha256()));

    assertThat(unavailable.failures())
        .extracting(TierFailure::tier, TierFailure::reason)
        .containsExactly(tuple("l1", Reason.NOT_FOUND), tuple("l2", Reason.NOT_FOUND), tuple("origin", Reason.CORRUPT));
    assertThat(unavailable.permanent()).isFalse();
    assertThat(cache.isCached(p.sha256())).isFalse();
    assertThat(temporaryFiles()).isEmpty();

    origin.holding(p);
    try (Lease lease = cache.acquire(TENANT, p.sha256())) {
      assertThat(Files.readAllBytes(lease.path())).isEqualTo(p.bytes());
    }
  }

  @Test
  @Timeout(120)
  void processKilledBetweenWriteAndRenameLeavesNoPartialEntryAfterRestart() throws Exception {
    TestPackage p = TestPackage.random(300 * KB);
    Path bytes = Files.write(Files.createTempFile("killed-install", ".bin"), p.bytes());
    Process child =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                "-Dlogback.configurationFile=logback-test.xml",
                KilledInstall.class.getName(),
                directory.toString(),
                p.sha256(),
                bytes.toString())
            .redirectErrorStream(true)
            .start();
    try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = out.readLine()) != null && !line.contains("ALL BYTES WRITTEN")) {
        // Skip the child's log lines.
      }
      assertThat(line).as("the child reached the point between write and rename").isNotNull();
      child.destroyForcibly();
      assertThat(child.waitFor(10, TimeUnit.SECONDS)).isTrue();
    } finally {
      child.destroyForcibly();
      Files.deleteIfExists(bytes);
    }
    assertThat(temporaryFiles()).as("the kill left the written temporary file").hasSize(1);
    assertThat(entry(p)).doesNotExist();

    origin.holding(p);
    NodeCodeCache restarted = open(settings());

    assertThat(temporaryFiles()).isEmpty();
    assertThat(restarted.isCached(p.sha256())).isFalse();
    assertThat(restarted.stats().entries()).isZero();
    try (Lease lease = restarted.acquire(TENANT, p.sha256())) {
      assertThat(lease.source()).isEqualTo("origin");
      assertThat(Files.readAllBytes(lease.path())).isEqualTo(p.bytes());
    }
  }

  @Test
  void partialEntryFileLeftByALostWriteIsNeverServedAfterRestart() throws IOException {
    TestPackage p = TestPackage.random(64 * KB);
    origin.holding(p);
    // What a filesystem that made the rename durable before the data would leave, plus a temp file.
    Files.write(entry(p), Arrays.copyOf(p.bytes(), 10 * KB));
    Files.write(directory.resolve(".tmp-" + p.sha256() + "-1.part"), Arrays.copyOf(p.bytes(), 5 * KB));

    NodeCodeCache cache = open(settings());

    assertThat(temporaryFiles()).isEmpty();
    try (Lease lease = cache.acquire(TENANT, p.sha256())) {
      assertThat(lease.source()).isEqualTo("origin");
      assertThat(Files.readAllBytes(lease.path())).isEqualTo(p.bytes());
    }
  }

  @Test
  void evictionUnderPressureNeverRemovesALeasedEntry() throws IOException {
    TestPackage held = TestPackage.random(40 * KB);
    TestPackage idle = TestPackage.random(40 * KB);
    TestPackage third = TestPackage.random(40 * KB);
    TestPackage fourth = TestPackage.random(40 * KB);
    origin.holding(held, idle, third, fourth);
    NodeCodeCache cache = open(settings().withMaxBytes(100 * KB));

    try (Lease heldLease = cache.acquire(TENANT, held.sha256())) {
      clock.advance(Duration.ofMinutes(1));
      cache.acquire(TENANT, idle.sha256()).close();
      clock.advance(Duration.ofMinutes(1));

      try (Lease thirdLease = cache.acquire(TENANT, third.sha256())) {
        assertThat(cache.isCached(held.sha256())).as("oldest, but in use").isTrue();
        assertThat(cache.isCached(idle.sha256())).as("least recently used idle entry").isFalse();

        try (Lease fourthLease = cache.acquire(TENANT, fourth.sha256())) {
          assertThat(cache.stats().usedBytes()).as("entries in use push the cache past its bound").isEqualTo(120 * KB);
          assertThat(cache.stats().pinnedEntries()).isEqualTo(3);
          for (Lease lease : List.of(heldLease, thirdLease, fourthLease)) {
            assertThat(Sha256.hex(Files.readAllBytes(lease.path()))).isEqualTo(lease.sha256());
          }
        }
      }
    }

    clock.advance(Duration.ofMinutes(1));
    cache.acquire(TENANT, idle.sha256()).close();
    assertThat(cache.stats().usedBytes()).as("back under the bound once nothing is in use").isLessThanOrEqualTo(100 * KB);
  }

  @Test
  void concurrentAcquiresUnderPressureNeverLoseAnEntryBeingRead() throws Exception {
    List<TestPackage> packages = Stream.generate(() -> TestPackage.random(16 * KB)).limit(20).toList();
    packages.forEach(origin::holding);
    NodeCodeCache cache = open(settings().withMaxBytes(64 * KB));
    ExecutorService threads = Executors.newFixedThreadPool(4);
    try {
      List<Future<Integer>> workers = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        Random random = new Random(t);
        workers.add(threads.submit(() -> {
          int verified = 0;
          for (int i = 0; i < 50; i++) {
            TestPackage p = packages.get(random.nextInt(packages.size()));
            try (Lease lease = cache.acquire(TENANT, p.sha256())) {
              assertThat(Sha256.hex(Files.readAllBytes(lease.path()))).isEqualTo(p.sha256());
              verified++;
            }
          }
          return verified;
        }));
      }
      for (Future<Integer> worker : workers) {
        assertThat(worker.get(30, TimeUnit.SECONDS)).isEqualTo(50);
      }
    } finally {
      threads.shutdownNow();
    }
    assertThat(cache.stats().pinnedEntries()).isZero();
    assertThat(cache.stats().usedBytes()).isLessThanOrEqualTo(64 * KB);
  }

  @Test
  void concurrentAcquiresOfAMissingPackageShareOneFailedFetch() throws Exception {
    TestPackage p = TestPackage.random(KB);
    CountDownLatch released = new CountDownLatch(1);
    origin.failWith((tenant, digest) -> {
      try {
        released.await(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      throw new IOException("origin is down");
    });
    NodeCodeCache cache = open(settings());
    List<Thread> callers = new java.util.concurrent.CopyOnWriteArrayList<>();
    ExecutorService threads = Executors.newFixedThreadPool(10, r -> {
      Thread t = new Thread(r, "acquirer");
      callers.add(t);
      return t;
    });
    AtomicInteger unavailable = new AtomicInteger();
    CountDownLatch calling = new CountDownLatch(10);
    try {
      List<Future<?>> calls = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        calls.add(threads.submit(() -> {
          calling.countDown();
          try {
            cache.acquire(TENANT, p.sha256()).close();
          } catch (CodeUnavailableException e) {
            unavailable.incrementAndGet();
          }
        }));
      }
      assertThat(calling.await(10, TimeUnit.SECONDS)).isTrue();
      // Failures aren't remembered, so a caller arriving after the leader gave up would fetch
      // again: release the leader only once the nine others have joined its fetch.
      awaitJoining(callers, 9);
      released.countDown();
      for (Future<?> call : calls) {
        call.get(10, TimeUnit.SECONDS);
      }
    } finally {
      threads.shutdownNow();
    }
    assertThat(unavailable).hasValue(10);
    assertThat(origin.opens()).isEqualTo(1);
  }

  /** Waits (bounded) until {@code n} of {@code threads} are parked joining another caller's fetch. */
  private static void awaitJoining(List<Thread> threads, int n) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline) {
      long joining = threads.stream()
          .filter(t -> t.getState() == Thread.State.WAITING)
          .filter(t -> Arrays.stream(t.getStackTrace()).anyMatch(f ->
              f.getClassName().equals(NodeCodeCache.class.getName()) && f.getMethodName().equals("await")))
          .count();
      if (joining >= n) {
        return;
      }
      Thread.sleep(5);
    }
  }

  @Test
  void originOutageWithWarmTiersStillServesWhatTheyHold() throws IOException {
    TestPackage inL1 = TestPackage.random(32 * KB);
    TestPackage inL2 = TestPackage.random(32 * KB);
    origin.holding(inL1);
    l2.holding(inL2);
    NodeCodeCache cache = open(settings());
    cache.acquire(TENANT, inL1.sha256()).close();

    origin.down();

    try (Lease fromL1 = cache.acquire(TENANT, inL1.sha256()); Lease fromL2 = cache.acquire(TENANT, inL2.sha256())) {
      assertThat(fromL1.source()).isEqualTo("l1");
      assertThat(fromL2.source()).isEqualTo("l2");
    }
  }

  @Test
  void zoneCacheOutageFallsBackToTheOrigin() throws IOException {
    TestPackage p = TestPackage.random(32 * KB);
    l2.holding(p);
    l2.down();
    origin.holding(p);
    NodeCodeCache cache = open(settings());

    try (Lease lease = cache.acquire(TENANT, p.sha256())) {
      assertThat(lease.source()).isEqualTo("origin");
    }
    assertThat(count("l2", CodeCacheMetrics.ERROR)).isEqualTo(1);
  }

  @Test
  void nothingHoldsThePackageThrowsCodeUnavailableNamingEveryTier() {
    TestPackage p = TestPackage.random(KB);
    origin.down();
    NodeCodeCache cache = open(settings());

    CodeUnavailableException unavailable =
        catchThrowableOfType(CodeUnavailableException.class, () -> cache.acquire(TENANT, p.sha256()));

    assertThat(unavailable.sha256()).isEqualTo(p.sha256());
    assertThat(unavailable.failures())
        .extracting(TierFailure::tier, TierFailure::reason)
        .containsExactly(tuple("l1", Reason.NOT_FOUND), tuple("l2", Reason.NOT_FOUND), tuple("origin", Reason.UNAVAILABLE));
    assertThat(unavailable)
        .hasMessageContaining("l1: not found")
        .hasMessageContaining("l2: not found")
        .hasMessageContaining("origin: unavailable (java.io.IOException: origin is down)");
  }

  @Test
  void zoneCacheRefusingTheTenantStopsTheChainWithAPermanentFailure() {
    TestPackage p = TestPackage.random(KB);
    l2.failWith((tenant, digest) -> {
      throw new CodeAccessDeniedException("l2", tenant, digest);
    });
    origin.holding(p);
    NodeCodeCache cache = open(settings());

    CodeUnavailableException unavailable =
        catchThrowableOfType(CodeUnavailableException.class, () -> cache.acquire("tenant-b", p.sha256()));

    assertThat(unavailable.permanent()).isTrue();
    assertThat(unavailable.failures()).extracting(TierFailure::reason).containsExactly(Reason.NOT_FOUND, Reason.DENIED);
    assertThat(origin.opens()).as("the origin would bypass L2's ownership check").isZero();
  }

  @Test
  void aPackageLargerThanTheWholeCacheIsRefusedAsTooLarge() {
    TestPackage p = TestPackage.random(20 * KB);
    origin.holding(p);
    NodeCodeCache cache = open(settings().withMaxBytes(10 * KB));

    CodeUnavailableException unavailable =
        catchThrowableOfType(CodeUnavailableException.class, () -> cache.acquire(TENANT, p.sha256()));

    assertThat(unavailable.failures()).extracting(TierFailure::reason).contains(Reason.TOO_LARGE);
    assertThat(temporaryFiles()).isEmpty();
  }

  @Test
  void prefetchFetchesTheTenantsOtherActivePackagesSoTheirAcquiresHitL1() throws Exception {
    TestPackage first = TestPackage.random(16 * KB);
    TestPackage second = TestPackage.random(16 * KB);
    TestPackage third = TestPackage.random(16 * KB);
    TestPackage otherTenants = TestPackage.random(16 * KB);
    origin.holding(first, second, third, otherTenants);
    Map<String, List<String>> active =
        Map.of(TENANT, List.of(first.sha256(), second.sha256(), third.sha256()), "tenant-b", List.of(otherTenants.sha256()));
    NodeCodeCache cache = open(settings(), tenant -> active.getOrDefault(tenant, List.of()));

    try (Lease lease = cache.acquire(TENANT, first.sha256())) {
      assertThat(lease.source()).isEqualTo("origin");
    }
    assertThat(cache.awaitBackground(Duration.ofSeconds(10))).isTrue();

    assertThat(origin.opens()).isEqualTo(3);
    for (TestPackage p : List.of(second, third)) {
      try (Lease lease = cache.acquire(TENANT, p.sha256())) {
        assertThat(lease.source()).isEqualTo("l1");
      }
    }
    assertThat(cache.isCached(otherTenants.sha256())).isFalse();
    assertThat(origin.opens()).as("L1 hits, and a hit starts no prefetch").isEqualTo(3);
    assertThat(cache.prefetch(TENANT).get(10, TimeUnit.SECONDS))
        .as("fetches nothing that is already there")
        .isEqualTo(new PrefetchReport(TENANT, 3, 3, 0, 0, 0));
  }

  @Test
  void prefetchNeverEvictsAnEntryInUseOrRecentlyUsed() throws Exception {
    TestPackage inUse = TestPackage.random(40 * KB);
    TestPackage justFetched = TestPackage.random(40 * KB);
    TestPackage wanted = TestPackage.random(40 * KB);
    origin.holding(inUse, justFetched, wanted);
    NodeCodeCache cache =
        open(
            settings().withMaxBytes(100 * KB),
            tenant -> TENANT.equals(tenant) ? List.of(justFetched.sha256(), wanted.sha256()) : List.of());

    try (Lease held = cache.acquire("tenant-b", inUse.sha256())) {
      cache.awaitBackground(Duration.ofSeconds(10));
      cache.acquire(TENANT, justFetched.sha256()).close();
      assertThat(cache.awaitBackground(Duration.ofSeconds(10))).isTrue();

      assertThat(cache.isCached(wanted.sha256())).isFalse();
      assertThat(cache.isCached(inUse.sha256())).isTrue();
      assertThat(cache.isCached(justFetched.sha256())).isTrue();
      assertThat(count("l1", CodeCacheMetrics.SKIPPED, "prefetch")).isGreaterThanOrEqualTo(1);
    }

    clock.advance(Duration.ofMinutes(11));
    PrefetchReport later = cache.prefetch(TENANT).get(10, TimeUnit.SECONDS);
    assertThat(later.fetched()).as("once the window passed and nothing is in use, LRU makes room").isEqualTo(1);
    assertThat(cache.isCached(wanted.sha256())).isTrue();
  }

  @Test
  void pinIsIdempotentPerHolderAndUnpinReleasesIt() {
    TestPackage p = TestPackage.random(KB);
    origin.holding(p);
    NodeCodeCache cache = open(settings());

    Lease first = cache.pin("instance-1", TENANT, p.sha256());
    Lease again = cache.pin("instance-1", TENANT, p.sha256());
    cache.pin("instance-2", TENANT, p.sha256());

    assertThat(again).isSameAs(first);
    assertThat(cache.unpin("instance-1")).isEqualTo(1);
    assertThat(first.isClosed()).isTrue();
    assertThat(cache.stats().pinnedEntries()).as("instance-2 still holds it").isEqualTo(1);
    assertThat(cache.unpin("instance-2")).isEqualTo(1);
    assertThat(cache.unpin("instance-2")).isZero();
    assertThat(cache.unpin("never-pinned")).isZero();
    assertThat(cache.stats().pinnedEntries()).isZero();
  }

  @Test
  void unpinReleasesEveryPinOfItsHolderAndNoPinOfAnother() {
    TestPackage shared = TestPackage.random(KB);
    TestPackage own = TestPackage.random(KB);
    TestPackage others = TestPackage.random(KB);
    origin.holding(shared, own, others);
    NodeCodeCache cache = open(settings());

    Lease sharedByOne = cache.pin("instance-1", TENANT, shared.sha256());
    Lease ownByOne = cache.pin("instance-1", TENANT, own.sha256());
    // "instance-10" shares a prefix with "instance-1" and one package with it.
    Lease sharedByTen = cache.pin("instance-10", TENANT, shared.sha256());
    Lease othersByTen = cache.pin("instance-10", TENANT, others.sha256());
    Lease ownByTwo = cache.pin("instance-2", TENANT, own.sha256());

    assertThat(cache.unpin("instance-1")).isEqualTo(2);

    assertThat(List.of(sharedByOne, ownByOne)).allMatch(Lease::isClosed);
    assertThat(List.of(sharedByTen, othersByTen, ownByTwo)).noneMatch(Lease::isClosed);
    assertThat(cache.stats().pinnedEntries()).as("every package still has another holder").isEqualTo(3);
    Lease again = cache.pin("instance-1", TENANT, shared.sha256());
    assertThat(again).as("no closed lease of instance-1 is left to hand out").isNotSameAs(sharedByOne);
    assertThat(again.isClosed()).isFalse();

    assertThat(cache.unpin("instance-1")).isEqualTo(1);
    assertThat(cache.unpin("instance-10")).isEqualTo(2);
    assertThat(cache.unpin("instance-2")).isEqualTo(1);
    assertThat(cache.stats().pinnedEntries()).isZero();
  }

  @Test
  void concurrentPinsAndUnpinsOfManyHoldersLeaveNoLeaseBehind() throws Exception {
    List<TestPackage> packages = Stream.generate(() -> TestPackage.random(KB)).limit(4).toList();
    packages.forEach(origin::holding);
    NodeCodeCache cache = open(settings());
    int holders = 200;
    ExecutorService threads = Executors.newFixedThreadPool(8);
    try {
      // Two workers pin each holder's packages at once: each (holder, package) keeps one lease.
      List<Future<?>> pins = new ArrayList<>();
      for (int w = 0; w < 2; w++) {
        for (int h = 0; h < holders; h++) {
          String holder = "instance-" + h;
          pins.add(threads.submit(() -> packages.forEach(p -> cache.pin(holder, TENANT, p.sha256()))));
        }
      }
      for (Future<?> pin : pins) {
        pin.get(30, TimeUnit.SECONDS);
      }
      List<Future<Integer>> unpins = new ArrayList<>();
      for (int h = 0; h < holders; h++) {
        String holder = "instance-" + h;
        unpins.add(threads.submit(() -> cache.unpin(holder)));
      }
      for (Future<Integer> unpin : unpins) {
        assertThat(unpin.get(30, TimeUnit.SECONDS)).isEqualTo(packages.size());
      }
    } finally {
      threads.shutdownNow();
    }
    assertThat(cache.stats().pinnedEntries()).isZero();
  }

  @Test
  void metricsCountRequestsBytesAndLatencyPerTierAndOutcome() {
    TestPackage p = TestPackage.random(10 * KB);
    origin.holding(p);
    NodeCodeCache cache = open(settings());

    cache.acquire(TENANT, p.sha256()).close();
    cache.acquire(TENANT, p.sha256()).close();

    assertThat(count("l1", CodeCacheMetrics.MISS)).isEqualTo(1);
    assertThat(count("l1", CodeCacheMetrics.HIT)).isEqualTo(1);
    assertThat(count("l2", CodeCacheMetrics.MISS)).isEqualTo(1);
    assertThat(count("origin", CodeCacheMetrics.HIT)).isEqualTo(1);
    assertThat(registry.get(CodeCacheMetrics.BYTES).tags("tier", "origin", "purpose", "demand").counter().count())
        .isEqualTo(10 * KB);
    assertThat(registry.get(CodeCacheMetrics.LATENCY).tags("tier", "origin", "outcome", "hit").timer().count()).isEqualTo(1);
    assertThat(registry.get(CodeCacheMetrics.ACQUIRE).tags("source", "l1").timer().count()).isEqualTo(1);
    assertThat(registry.get(CodeCacheMetrics.ACQUIRE).tags("source", "origin").timer().count()).isEqualTo(1);
    assertThat(registry.get("faaster.code.cache.l1.used").gauge().value()).isEqualTo(10 * KB);
  }

  // ---- helpers -------------------------------------------------------------------------------

  private L1Settings settings() {
    return L1Settings.defaults(directory).withScrubInterval(Duration.ZERO);
  }

  private NodeCodeCache open(L1Settings settings) {
    return open(settings, ActivePackages.NONE);
  }

  private NodeCodeCache open(L1Settings settings, ActivePackages active) {
    try {
      NodeCodeCache cache = NodeCodeCache.open(settings, List.of(l2, origin), active, registry, clock);
      opened.add(cache);
      return cache;
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  private Path entry(TestPackage p) {
    return directory.resolve(p.sha256() + ".zip");
  }

  private List<Path> temporaryFiles() {
    try (Stream<Path> files = Files.list(directory)) {
      return files.filter(f -> f.getFileName().toString().startsWith(".tmp-")).toList();
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  private double count(String tier, String outcome) {
    return count(tier, outcome, "demand");
  }

  private double count(String tier, String outcome, String purpose) {
    var counter = registry.find(CodeCacheMetrics.REQUESTS).tags("tier", tier, "outcome", outcome, "purpose", purpose).counter();
    return counter == null ? 0 : counter.count();
  }

  private static org.assertj.core.groups.Tuple tuple(Object... values) {
    return org.assertj.core.groups.Tuple.tuple(values);
  }
}

package dev.faaster.codecache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.faaster.codecache.TierFailure.Reason;
import dev.faaster.embeddeds3.EmbeddedS3Server;
import dev.faaster.packagestore.ObjectStoreConfiguration;
import dev.faaster.packagestore.PackageKeys;
import dev.faaster.packagestore.PackageStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.retry.RetryMode;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/** The node cache in front of a real S3 API (S3Proxy on a free port) as its origin. */
class NodeCodeCacheOriginTest {

  private static final String TENANT = "tenant-a";

  @TempDir static Path storage;

  private static EmbeddedS3Server server;
  private static S3Client s3;
  private static PackageStore store;

  @TempDir Path directory;
  @TempDir Path files;

  private final List<NodeCodeCache> opened = new ArrayList<>();

  @BeforeAll
  static void startOrigin() {
    server = EmbeddedS3Server.start("127.0.0.1", 0, storage.resolve("s3"), "test-access", "test-secret");
    s3 = client(server.endpoint());
    store = new PackageStore(s3, configuration(server.endpoint()));
    store.ensureBucket();
  }

  @AfterAll
  static void stopOrigin() {
    s3.close();
    server.close();
  }

  @AfterEach
  void closeCaches() {
    opened.forEach(NodeCodeCache::close);
  }

  @Test
  void hundredConcurrentAcquiresOfOneDigestCauseExactlyOneOriginGet() throws Exception {
    TestPackage p = upload(TestPackage.random(1 << 20));
    CountingTier origin = new CountingTier(new OriginTier(store), Duration.ofMillis(300));
    NodeCodeCache cache = open(List.of(origin));
    ExecutorService threads = Executors.newFixedThreadPool(100);
    CountDownLatch start = new CountDownLatch(1);
    Set<String> sources = ConcurrentHashMap.newKeySet();
    Set<Path> paths = ConcurrentHashMap.newKeySet();
    try {
      List<Future<Path>> acquires = new ArrayList<>();
      for (int i = 0; i < 100; i++) {
        acquires.add(threads.submit(() -> {
          start.await();
          try (Lease lease = cache.acquire(TENANT, p.sha256())) {
            sources.add(lease.source());
            return lease.path();
          }
        }));
      }
      start.countDown();
      for (Future<Path> acquire : acquires) {
        paths.add(acquire.get(30, TimeUnit.SECONDS));
      }
    } finally {
      threads.shutdownNow();
    }

    assertThat(origin.opens()).isEqualTo(1);
    // Callers the scheduler starts after the install find the entry: L1 hits, not fetches.
    assertThat(sources).contains("origin").isSubsetOf("origin", "l1");
    assertThat(paths).singleElement().satisfies(path -> assertThat(path).hasBinaryContent(p.bytes()));
  }

  @Test
  void flippedByteInTheOriginCopyIsDetectedAndNothingIsInstalled() throws IOException {
    TestPackage p = TestPackage.random(100_000);
    Path corrupt = Files.write(files.resolve("corrupt.zip"), p.flipped(99_999));
    store.putFile(PackageKeys.contentAddressed(p.sha256()), corrupt, p.sha256());
    NodeCodeCache cache = open(List.of(new OriginTier(store)));

    CodeUnavailableException unavailable =
        catchThrowableOfType(CodeUnavailableException.class, () -> cache.acquire(TENANT, p.sha256()));

    assertThat(unavailable.failures())
        .extracting(TierFailure::tier, TierFailure::reason)
        .contains(org.assertj.core.groups.Tuple.tuple("origin", Reason.CORRUPT));
    assertThat(cache.isCached(p.sha256())).isFalse();

    upload(p);
    try (Lease lease = cache.acquire(TENANT, p.sha256())) {
      assertThat(lease.path()).hasBinaryContent(p.bytes());
    }
  }

  @Test
  void originOutageWithAWarmL1StillServesIt() throws IOException {
    TestPackage warm = upload(TestPackage.random(50_000));
    TestPackage cold = upload(TestPackage.random(50_000));
    open(List.of(new OriginTier(store))).acquire(TENANT, warm.sha256()).close();

    // The node restarts while the origin is unreachable.
    URI deadOrigin = URI.create("http://127.0.0.1:" + freePort());
    try (S3Client deadClient = client(deadOrigin)) {
      NodeCodeCache restarted = open(List.of(new OriginTier(new PackageStore(deadClient, configuration(deadOrigin)))));

      try (Lease lease = restarted.acquire(TENANT, warm.sha256())) {
        assertThat(lease.source()).isEqualTo("l1");
        assertThat(lease.path()).hasBinaryContent(warm.bytes());
      }
      CodeUnavailableException unavailable =
          catchThrowableOfType(CodeUnavailableException.class, () -> restarted.acquire(TENANT, cold.sha256()));
      assertThat(unavailable.failures())
          .extracting(TierFailure::tier, TierFailure::reason)
          .containsExactly(
              org.assertj.core.groups.Tuple.tuple("l1", Reason.NOT_FOUND),
              org.assertj.core.groups.Tuple.tuple("origin", Reason.UNAVAILABLE));
    }
  }

  @Test
  void zoneCacheOutageFallsBackToTheOrigin() throws IOException {
    TestPackage p = upload(TestPackage.random(50_000));
    ZoneCacheTier deadL2 =
        new ZoneCacheTier(URI.create("http://127.0.0.1:" + freePort()), "token", Duration.ofSeconds(1), Duration.ofSeconds(5));
    NodeCodeCache cache = open(List.of(deadL2, new OriginTier(store)));

    try (Lease lease = cache.acquire(TENANT, p.sha256())) {
      assertThat(lease.source()).isEqualTo("origin");
      assertThat(lease.path()).hasBinaryContent(p.bytes());
    }
  }

  private NodeCodeCache open(List<CodeTier> tiers) throws IOException {
    L1Settings settings = L1Settings.defaults(directory).withScrubInterval(Duration.ZERO);
    NodeCodeCache cache = NodeCodeCache.open(settings, tiers, ActivePackages.NONE, new SimpleMeterRegistry(), Clock.systemUTC());
    opened.add(cache);
    return cache;
  }

  private TestPackage upload(TestPackage p) throws IOException {
    Path file = Files.write(files.resolve(p.sha256() + ".zip"), p.bytes());
    store.putFile(PackageKeys.contentAddressed(p.sha256()), file, p.sha256());
    return p;
  }

  /** A port nothing listens on. */
  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  private static ObjectStoreConfiguration configuration(URI endpoint) {
    return new ObjectStoreConfiguration(endpoint.toString(), "us-east-1", "packages", "test-access", "test-secret");
  }

  /** Built like the application's client (path-style, no trailing checksums), with no retries. */
  private static S3Client client(URI endpoint) {
    return S3Client.builder()
        .endpointOverride(endpoint)
        .region(Region.US_EAST_1)
        .forcePathStyle(true)
        .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
        .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("test-access", "test-secret")))
        .overrideConfiguration(o -> o.retryStrategy(RetryMode.STANDARD))
        .httpClient(UrlConnectionHttpClient.builder().connectionTimeout(Duration.ofSeconds(2)).build())
        .build();
  }

  /** Counts opens of the tier it wraps and makes each slow, so concurrent callers overlap. */
  private static final class CountingTier implements CodeTier {
    private final CodeTier delegate;
    private final Duration delay;
    private final AtomicInteger opens = new AtomicInteger();

    CountingTier(CodeTier delegate, Duration delay) {
      this.delegate = delegate;
      this.delay = delay;
    }

    int opens() {
      return opens.get();
    }

    @Override
    public String name() {
      return delegate.name();
    }

    @Override
    public Optional<InputStream> open(String tenantId, String sha256) throws IOException {
      opens.incrementAndGet();
      try {
        Thread.sleep(delay.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return delegate.open(tenantId, sha256);
    }
  }
}

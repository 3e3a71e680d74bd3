package dev.faaster.zonecache;

import dev.faaster.packagestore.ObjectStoreConfiguration;
import dev.faaster.packagestore.PackageStore;
import io.micronaut.context.annotation.Replaces;
import io.micronaut.context.annotation.Requires;
import io.micronaut.context.env.Environment;
import jakarta.inject.Singleton;
import java.io.InputStream;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The real origin store, counting the GETs that reach it; it can hold them until released, so
 * tests can pile up concurrent misses behind one fetch.
 */
@Singleton
@Replaces(PackageStore.class)
@Requires(env = Environment.TEST)
public class CountingPackageStore extends PackageStore {

  private final Map<String, AtomicInteger> opens = new ConcurrentHashMap<>();
  private volatile CountDownLatch gate = new CountDownLatch(0);

  public CountingPackageStore(S3Client s3, ObjectStoreConfiguration configuration) {
    super(s3, configuration);
  }

  @Override
  public Optional<InputStream> open(String key) {
    opens.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
    try {
      if (!gate.await(30, TimeUnit.SECONDS)) {
        throw new IllegalStateException("the test never released the origin");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    return super.open(key);
  }

  /** GETs of this object key so far. */
  public int opens(String key) {
    AtomicInteger count = opens.get(key);
    return count == null ? 0 : count.get();
  }

  /** From now on, GETs wait until {@link #release()}. */
  public void hold() {
    gate = new CountDownLatch(1);
  }

  public void release() {
    gate.countDown();
  }
}

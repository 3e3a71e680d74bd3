package dev.faaster.codecache;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** A hand-written tier holding packages in memory, with an error hook and an open counter. */
final class MapTier implements CodeTier {

  /** What the next opens do instead of serving. */
  @FunctionalInterface
  interface ErrorHook {
    void beforeOpen(String tenantId, String sha256) throws IOException;
  }

  private final String name;
  private final Map<String, byte[]> packages = new ConcurrentHashMap<>();
  private final AtomicInteger opens = new AtomicInteger();
  private volatile ErrorHook hook = (tenant, digest) -> {};

  MapTier(String name) {
    this.name = name;
  }

  MapTier holding(TestPackage... held) {
    for (TestPackage p : held) {
      packages.put(p.sha256(), p.bytes());
    }
    return this;
  }

  /** Serves {@code bytes} under {@code sha256}, whatever they hash to. */
  void serve(String sha256, byte[] bytes) {
    packages.put(sha256, bytes);
  }

  void failWith(ErrorHook errorHook) {
    this.hook = errorHook;
  }

  void down() {
    failWith((tenant, digest) -> {
      throw new IOException(name + " is down");
    });
  }

  void up() {
    failWith((tenant, digest) -> {});
  }

  int opens() {
    return opens.get();
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public Optional<InputStream> open(String tenantId, String sha256) throws IOException {
    opens.incrementAndGet();
    hook.beforeOpen(tenantId, sha256);
    byte[] bytes = packages.get(sha256);
    return bytes == null ? Optional.empty() : Optional.of(new ByteArrayInputStream(bytes));
  }
}

package dev.faaster.codecache;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Run in a child JVM by a test that kills it: installs one package whose tier delivers every byte
 * and then never ends the stream, so the process dies after the write and before the rename.
 * Arguments: the L1 directory, the digest, a file holding the package bytes.
 */
final class KilledInstall {

  private KilledInstall() {}

  public static void main(String[] args) throws Exception {
    Path directory = Path.of(args[0]);
    String sha256 = args[1];
    byte[] bytes = Files.readAllBytes(Path.of(args[2]));
    CodeTier stalling =
        new CodeTier() {
          @Override
          public String name() {
            return "origin";
          }

          @Override
          public Optional<InputStream> open(String tenantId, String digest) {
            return Optional.of(
                new ByteArrayInputStream(bytes) {
                  @Override
                  public synchronized int read(byte[] buffer, int offset, int length) {
                    int n = super.read(buffer, offset, length);
                    if (n == -1) {
                      System.out.println("ALL BYTES WRITTEN");
                      System.out.flush();
                      try {
                        Thread.sleep(Duration.ofMinutes(5).toMillis());
                      } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                      }
                    }
                    return n;
                  }
                });
          }
        };
    L1Settings settings = L1Settings.defaults(directory).withScrubInterval(Duration.ZERO).withPrefetch(0, Duration.ZERO);
    try (NodeCodeCache cache =
        NodeCodeCache.open(settings, List.of(stalling), ActivePackages.NONE, new SimpleMeterRegistry(), Clock.systemUTC())) {
      cache.acquire("tenant-killed", sha256);
    }
  }
}

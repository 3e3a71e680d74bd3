package dev.faaster.codecache;

import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.core.bind.annotation.Bindable;
import io.micronaut.core.convert.format.ReadableBytes;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The node's code cache ({@code faaster.code-cache.*}).
 *
 * @param l1 the node's own disk cache
 * @param zone how to reach the zone cache (L2)
 */
@ConfigurationProperties("faaster.code-cache")
public record CodeCacheConfiguration(L1 l1, Zone zone) {

  /**
   * {@code faaster.code-cache.l1.*}.
   *
   * @param directory where entries live
   * @param maxBytes size bound ({@code 4GB}, {@code 512MB} or a number of bytes)
   * @param scrubInterval how often every entry is hashed again; {@code 0s} turns the scrub off
   * @param prefetchConcurrency background fetches at once; 0 turns the per-tenant prefetch off
   * @param prefetchProtect a prefetch never evicts an entry used within this window
   */
  @ConfigurationProperties("l1")
  public record L1(
      @Bindable(defaultValue = ".data/l1") Path directory,
      @Bindable(defaultValue = "4GB") @ReadableBytes long maxBytes,
      @Bindable(defaultValue = "6h") Duration scrubInterval,
      @Bindable(defaultValue = "2") int prefetchConcurrency,
      @Bindable(defaultValue = "10m") Duration prefetchProtect) {

    public L1Settings settings() {
      return new L1Settings(directory, maxBytes, scrubInterval, prefetchConcurrency, prefetchProtect);
    }
  }

  /**
   * {@code faaster.code-cache.zone.*}.
   *
   * @param url base URL of the zone cache; blank means this node has no L2
   * @param token this node's bearer token for L2
   * @param connectTimeout bound of a connect to L2 (what a dead L2 costs before the origin)
   * @param requestTimeout bound of the wait for L2's response headers, and of any stall in the body
   *     (a stalled body is resumed with a range request)
   */
  @ConfigurationProperties("zone")
  public record Zone(
      @Nullable String url,
      @Nullable String token,
      @Bindable(defaultValue = "1s") Duration connectTimeout,
      @Bindable(defaultValue = "60s") Duration requestTimeout) {

    public boolean enabled() {
      return url != null && !url.isBlank();
    }

    public ZoneCacheTier tier() {
      return new ZoneCacheTier(URI.create(url.trim()), token, connectTimeout, requestTimeout);
    }
  }
}

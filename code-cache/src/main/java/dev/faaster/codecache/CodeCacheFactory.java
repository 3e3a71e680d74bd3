package dev.faaster.codecache;

import dev.faaster.packagestore.PackageStore;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micronaut.context.annotation.Bean;
import io.micronaut.context.annotation.Factory;
import io.micronaut.core.annotation.Nullable;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds the node cache from {@code faaster.code-cache.*}: L1 on local disk, then the zone cache
 * when {@code faaster.code-cache.zone.url} is set, then the origin store.
 */
@Factory
public class CodeCacheFactory {

  @Singleton
  @Bean(preDestroy = "close")
  NodeCodeCache nodeCodeCache(
      CodeCacheConfiguration configuration,
      PackageStore store,
      @Nullable ActivePackages activePackages,
      @Nullable MeterRegistry registry,
      @Nullable Clock clock)
      throws IOException {
    List<CodeTier> tiers = new ArrayList<>();
    if (configuration.zone() != null && configuration.zone().enabled()) {
      tiers.add(configuration.zone().tier());
    }
    tiers.add(new OriginTier(store));
    return NodeCodeCache.open(
        configuration.l1().settings(),
        tiers,
        activePackages == null ? ActivePackages.NONE : activePackages,
        registry == null ? new SimpleMeterRegistry() : registry,
        clock == null ? Clock.systemUTC() : clock);
  }
}

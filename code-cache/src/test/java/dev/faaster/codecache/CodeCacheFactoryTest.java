package dev.faaster.codecache;

import static org.assertj.core.api.Assertions.assertThat;

import io.micronaut.context.ApplicationContext;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Micronaut wiring: configuration binding and the tiers the factory puts in the chain. */
class CodeCacheFactoryTest {

  @TempDir Path directory;

  @Test
  void zoneUrlPutsTheZoneCacheBeforeTheOrigin() {
    Map<String, Object> properties = properties();
    properties.put("faaster.code-cache.zone.url", "http://l2.zone-a:8095");
    properties.put("faaster.code-cache.zone.token", "node-token");
    properties.put("faaster.code-cache.l1.max-bytes", "64MB");
    properties.put("faaster.code-cache.l1.scrub-interval", "0s");

    try (ApplicationContext context = ApplicationContext.run(properties)) {
      CodeCacheConfiguration configuration = context.getBean(CodeCacheConfiguration.class);
      NodeCodeCache cache = context.getBean(NodeCodeCache.class);

      assertThat(configuration.l1().maxBytes()).isEqualTo(64L << 20);
      assertThat(configuration.l1().scrubInterval()).isEqualTo(Duration.ZERO);
      assertThat(configuration.zone().token()).isEqualTo("node-token");
      assertThat(cache.tierNames()).containsExactly("l2", "origin");
      assertThat(cache.directory()).isEqualTo(directory.toAbsolutePath());
    }
  }

  @Test
  void withoutAZoneUrlTheOriginIsTheOnlyTierAndDefaultsApply() {
    try (ApplicationContext context = ApplicationContext.run(properties())) {
      CodeCacheConfiguration configuration = context.getBean(CodeCacheConfiguration.class);

      assertThat(context.getBean(NodeCodeCache.class).tierNames()).containsExactly("origin");
      assertThat(configuration.l1().maxBytes()).isEqualTo(4L << 30);
      assertThat(configuration.l1().scrubInterval()).isEqualTo(Duration.ofHours(6));
      assertThat(configuration.l1().prefetchConcurrency()).isEqualTo(2);
      assertThat(configuration.zone().enabled()).isFalse();
    }
  }

  private Map<String, Object> properties() {
    Map<String, Object> properties = new HashMap<>();
    properties.put("faaster.code-cache.l1.directory", directory.toString());
    // The origin client is built but never called here.
    properties.put("faaster.object-store.endpoint", "http://127.0.0.1:1");
    properties.put("faaster.object-store.region", "us-east-1");
    properties.put("faaster.object-store.bucket", "packages");
    properties.put("faaster.object-store.access-key", "a");
    properties.put("faaster.object-store.secret-key", "b");
    return properties;
  }
}

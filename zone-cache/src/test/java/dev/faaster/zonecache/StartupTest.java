package dev.faaster.zonecache;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The zone cache refuses to start without what it can't work without, and says which setting. */
class StartupTest {

  static Map<String, Object> base() {
    Map<String, Object> properties = new HashMap<>();
    properties.put("faaster.zone-cache.directory", Path.of("target", "zone-cache-test", "startup-" + UUID.randomUUID()).toString());
    properties.put("datasources.default.url", "jdbc:h2:mem:startup;MODE=MySQL;DATABASE_TO_LOWER=TRUE;DB_CLOSE_DELAY=-1");
    return properties;
  }

  @Test
  void startFailsWithoutAnOriginEndpoint() {
    Map<String, Object> properties = base();
    properties.put("faaster.object-store.endpoint", "");

    assertThatThrownBy(() -> ZoneCacheProcess.start(properties).close())
        .hasStackTraceContaining("faaster.object-store.endpoint is empty")
        .hasStackTraceContaining("FAASTER_S3_ENDPOINT");
  }

  @Test
  void startFailsWithoutANodeToken() {
    Map<String, Object> properties = base();
    properties.put("faaster.object-store.endpoint", "http://127.0.0.1:1");
    properties.put("faaster.zone-cache.node-token", "");

    assertThatThrownBy(() -> ZoneCacheProcess.start(properties).close())
        .hasStackTraceContaining("FAASTER_ZONE_CACHE_NODE_TOKEN");
  }
}

package dev.faaster.zonecache.http;

import dev.faaster.zonecache.store.PackageCache;
import io.micronaut.health.HealthStatus;
import io.micronaut.management.health.indicator.AbstractHealthIndicator;
import jakarta.inject.Singleton;
import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Up while the cache directory is writable. The origin's health is deliberately not part of it: with
 * the origin down the cache still serves what it holds, and nodes should keep asking it.
 */
@Singleton
public class ZoneCacheHealthIndicator extends AbstractHealthIndicator<Map<String, Object>> {

  private final PackageCache cache;

  public ZoneCacheHealthIndicator(PackageCache cache) {
    this.cache = cache;
  }

  @Override
  protected Map<String, Object> getHealthInformation() {
    healthStatus = Files.isWritable(cache.directory()) ? HealthStatus.UP : HealthStatus.DOWN;
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("directory", cache.directory().toString());
    details.put("entries", cache.entries());
    details.put("storedBytes", cache.storedBytes());
    details.put("maxBytes", cache.maxBytes());
    return details;
  }

  @Override
  public String getName() {
    return "zoneCache";
  }
}

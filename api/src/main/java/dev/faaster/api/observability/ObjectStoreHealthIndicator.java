package dev.faaster.api.observability;

import dev.faaster.packagestore.ObjectStoreEndpoint;
import dev.faaster.packagestore.PackageStore;
import io.micronaut.health.HealthStatus;
import io.micronaut.management.health.indicator.AbstractHealthIndicator;
import io.micronaut.management.health.indicator.annotation.Readiness;
import jakarta.inject.Singleton;
import java.util.Map;

/** Ready only while the code bucket is reachable: uploads and deploys need it. */
@Singleton
@Readiness
public class ObjectStoreHealthIndicator extends AbstractHealthIndicator<Map<String, Object>> {

  private final PackageStore store;
  private final ObjectStoreEndpoint endpoint;

  public ObjectStoreHealthIndicator(PackageStore store, ObjectStoreEndpoint endpoint) {
    this.store = store;
    this.endpoint = endpoint;
  }

  @Override
  protected Map<String, Object> getHealthInformation() {
    store.ensureBucket();
    healthStatus = HealthStatus.UP;
    return Map.of("endpoint", endpoint.uri().toString(), "bucket", store.bucket());
  }

  @Override
  public String getName() {
    return "objectStore";
  }
}

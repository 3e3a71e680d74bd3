package dev.faaster.api.tenants;

import dev.faaster.registry.Tenant;
import io.micronaut.serde.annotation.Serdeable;
import java.time.Instant;

@Serdeable
public record TenantView(String id, String name, Instant createdAt) {

  static TenantView of(Tenant tenant) {
    return new TenantView(tenant.id(), tenant.name(), tenant.createdAt());
  }
}

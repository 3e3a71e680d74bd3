package dev.faaster.api.functions;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.serde.annotation.Serdeable;
import java.util.List;

/**
 * Where a function's instances reach private networks. Stored and returned now; the net proxy
 * attaches routes from it once it exists.
 */
@Serdeable
public record VpcConfig(@Nullable List<String> subnetIds, @Nullable List<String> securityGroupIds) {

  public static final VpcConfig NONE = new VpcConfig(List.of(), List.of());

  public VpcConfig {
    subnetIds = subnetIds == null ? List.of() : List.copyOf(subnetIds);
    securityGroupIds = securityGroupIds == null ? List.of() : List.copyOf(securityGroupIds);
  }
}

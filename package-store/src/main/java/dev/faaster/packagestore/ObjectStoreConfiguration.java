package dev.faaster.packagestore;

import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.core.annotation.Nullable;

/**
 * How to reach the S3-compatible origin store. A blank endpoint means "use the embedded store",
 * which the process that embeds it provides as an {@link ObjectStoreEndpoint} bean.
 */
@ConfigurationProperties("faaster.object-store")
public record ObjectStoreConfiguration(
    @Nullable String endpoint, String region, String bucket, String accessKey, String secretKey) {

  public boolean embedded() {
    return endpoint == null || endpoint.isBlank();
  }
}

package dev.faaster.zonecache.store;

import dev.faaster.packagestore.ObjectStoreEndpoint;
import dev.faaster.packagestore.PackageKeys;
import dev.faaster.packagestore.PackageStore;
import dev.faaster.zonecache.store.PackageUnavailableException.Reason;
import jakarta.inject.Singleton;
import java.io.InputStream;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/** The origin tier: the content-addressed packages of the platform's S3-compatible store. */
@Singleton
public class S3Origin implements Origin {

  private final PackageStore store;
  private final String description;

  public S3Origin(PackageStore store, ObjectStoreEndpoint endpoint) {
    this.store = store;
    this.description = "S3 " + endpoint.uri() + " bucket " + store.bucket();
  }

  @Override
  public InputStream open(String sha256) throws PackageUnavailableException {
    String key = PackageKeys.contentAddressed(sha256);
    try {
      return store
          .open(key)
          .orElseThrow(() -> notFound(sha256));
    } catch (S3Exception e) {
      if (e.statusCode() == 404) {
        throw notFound(sha256);
      }
      throw new PackageUnavailableException(
          Reason.ORIGIN_UNAVAILABLE,
          "The origin (" + description + ") answered HTTP " + e.statusCode() + " for " + key + ".",
          e);
    } catch (SdkException e) {
      throw new PackageUnavailableException(
          Reason.ORIGIN_UNAVAILABLE, "The origin (" + description + ") is unreachable: " + e.getMessage(), e);
    }
  }

  @Override
  public String describe() {
    return description;
  }

  private PackageUnavailableException notFound(String sha256) {
    return new PackageUnavailableException(
        Reason.NOT_AT_ORIGIN, "The origin (" + description + ") holds no package with digest " + sha256 + ".");
  }
}

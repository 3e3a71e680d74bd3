package dev.faaster.packagestore;

import jakarta.inject.Singleton;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.BucketAlreadyOwnedByYouException;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The origin tier: code packages in one bucket of an S3-compatible store. Objects carry their sha256
 * as user metadata so any reader can verify what it got.
 */
@Singleton
public class PackageStore {

  static final String SHA256_METADATA = "sha256";

  private final S3Client s3;
  private final String bucket;

  public PackageStore(S3Client s3, ObjectStoreConfiguration configuration) {
    this.s3 = s3;
    this.bucket = configuration.bucket();
  }

  public String bucket() {
    return bucket;
  }

  /** Creates the bucket unless it exists; safe to call from every process at start. */
  public void ensureBucket() {
    try {
      s3.headBucket(b -> b.bucket(bucket));
    } catch (S3Exception missing) {
      if (missing.statusCode() != 404) {
        throw missing;
      }
      try {
        s3.createBucket(b -> b.bucket(bucket));
      } catch (BucketAlreadyOwnedByYouException raced) {
        // Another process created it between our two calls: that's what we wanted.
      }
    }
  }

  public void putFile(String key, Path file, String sha256) {
    s3.putObject(
        b -> b.bucket(bucket).key(key).contentType("application/zip").metadata(Map.of(SHA256_METADATA, sha256)),
        RequestBody.fromFile(file));
  }

  public Optional<StoredObject> head(String key) {
    try {
      HeadObjectResponse head = s3.headObject(b -> b.bucket(bucket).key(key));
      return Optional.of(new StoredObject(key, head.contentLength(), head.metadata().get(SHA256_METADATA)));
    } catch (NoSuchKeyException e) {
      return Optional.empty();
    } catch (S3Exception e) {
      if (e.statusCode() == 404) {
        return Optional.empty();
      }
      throw e;
    }
  }

  public boolean exists(String key) {
    return head(key).isPresent();
  }

  /** The object's bytes, or empty if there is no such object. The caller closes the stream. */
  public Optional<InputStream> open(String key) {
    try {
      return Optional.of(s3.getObject(b -> b.bucket(bucket).key(key)));
    } catch (NoSuchKeyException e) {
      return Optional.empty();
    }
  }

  /** Server-side copy; metadata (the digest) travels with the object. */
  public void copy(String sourceKey, String targetKey) {
    s3.copyObject(b -> b.sourceBucket(bucket).sourceKey(sourceKey).destinationBucket(bucket).destinationKey(targetKey));
  }

  /** Deletes the object; deleting a missing object is not an error (S3 semantics). */
  public void delete(String key) {
    s3.deleteObject(b -> b.bucket(bucket).key(key));
  }

  public List<String> list(String prefix) {
    return listObjects(prefix).stream().map(ObjectSummary::key).toList();
  }

  /** Every object under {@code prefix}, following continuation tokens. */
  public List<ObjectSummary> listObjects(String prefix) {
    List<ObjectSummary> objects = new ArrayList<>();
    String token = null;
    do {
      String continuation = token;
      ListObjectsV2Response page =
          s3.listObjectsV2(b -> b.bucket(bucket).prefix(prefix).continuationToken(continuation));
      for (S3Object object : page.contents()) {
        objects.add(new ObjectSummary(object.key(), object.size(), object.lastModified()));
      }
      token = Boolean.TRUE.equals(page.isTruncated()) ? page.nextContinuationToken() : null;
    } while (token != null);
    return objects;
  }
}

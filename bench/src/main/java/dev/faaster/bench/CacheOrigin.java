package dev.faaster.bench;

import dev.faaster.embeddeds3.EmbeddedS3Server;
import dev.faaster.packagestore.ObjectStoreConfiguration;
import dev.faaster.packagestore.PackageKeys;
import dev.faaster.packagestore.PackageStore;
import dev.faaster.packagestore.Sha256;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The cache benchmark's origin: a real embedded S3 server (S3Proxy) on loopback, with packages put
 * where deploys put them ({@code packages/sha256/<digest>.zip}) and the node's {@link PackageStore}.
 */
final class CacheOrigin implements AutoCloseable {

  static final String BUCKET = "faaster-code";
  static final String REGION = "us-east-1";
  private static final String ACCESS_KEY = "faaster";
  private static final String SECRET_KEY = "faaster-local-secret";

  private final EmbeddedS3Server server;
  private final S3Client s3;
  private final PackageStore store;

  CacheOrigin(Path directory) {
    this.server = EmbeddedS3Server.start("127.0.0.1", 0, directory, ACCESS_KEY, SECRET_KEY);
    this.s3 =
        S3Client.builder()
            .endpointOverride(server.endpoint())
            .region(Region.of(REGION))
            .forcePathStyle(true)
            .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
            .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
            .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)))
            .httpClient(UrlConnectionHttpClient.create())
            .build();
    s3.createBucket(b -> b.bucket(BUCKET));
    this.store = new PackageStore(s3, new ObjectStoreConfiguration(server.endpoint().toString(), REGION, BUCKET, ACCESS_KEY, SECRET_KEY));
  }

  /** The node's view of the origin (what {@code OriginTier} reads). */
  PackageStore store() {
    return store;
  }

  /** Properties pointing a zone cache at this origin. */
  Map<String, Object> properties() {
    Map<String, Object> properties = new LinkedHashMap<>();
    properties.put("faaster.object-store.endpoint", server.endpoint().toString());
    properties.put("faaster.object-store.region", REGION);
    properties.put("faaster.object-store.bucket", BUCKET);
    properties.put("faaster.object-store.access-key", ACCESS_KEY);
    properties.put("faaster.object-store.secret-key", SECRET_KEY);
    return properties;
  }

  /** Stores the bytes under their digest, as a deploy does; returns the digest. */
  String put(byte[] bytes) {
    String sha256 = Sha256.hex(bytes);
    s3.putObject(
        b -> b.bucket(BUCKET).key(PackageKeys.contentAddressed(sha256)).metadata(Map.of("sha256", sha256)),
        RequestBody.fromBytes(bytes));
    return sha256;
  }

  @Override
  public void close() {
    s3.close();
    server.close();
  }
}

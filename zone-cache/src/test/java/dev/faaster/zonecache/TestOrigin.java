package dev.faaster.zonecache;

import dev.faaster.embeddeds3.EmbeddedS3Server;
import dev.faaster.packagestore.PackageKeys;
import dev.faaster.packagestore.Sha256;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A real origin for tests: the embedded S3 server (S3Proxy) in its own directory, with a client
 * that puts packages where the platform's deploys put them. Stop and start it to simulate an outage.
 */
public final class TestOrigin implements AutoCloseable {

  public static final String BUCKET = "faaster-code";
  static final String ACCESS_KEY = "faaster";
  static final String SECRET_KEY = "faaster-local-secret";

  private final Path directory;
  private EmbeddedS3Server server;
  private boolean running = true;
  private final int port;
  private final S3Client s3;
  private final Random random = new Random(42);

  public TestOrigin(Path directory) {
    this.directory = directory;
    this.server = EmbeddedS3Server.start("127.0.0.1", 0, directory, ACCESS_KEY, SECRET_KEY);
    this.port = server.endpoint().getPort();
    this.s3 =
        S3Client.builder()
            .endpointOverride(server.endpoint())
            .region(Region.US_EAST_1)
            .forcePathStyle(true)
            .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
            .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
            .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)))
            .httpClient(UrlConnectionHttpClient.create())
            .build();
    s3.createBucket(b -> b.bucket(BUCKET));
  }

  public URI endpoint() {
    return URI.create("http://127.0.0.1:" + port);
  }

  /** The properties pointing a zone cache at this origin. */
  public Map<String, Object> properties() {
    return Map.of(
        "faaster.object-store.endpoint", endpoint().toString(),
        "faaster.object-store.bucket", BUCKET,
        "faaster.object-store.access-key", ACCESS_KEY,
        "faaster.object-store.secret-key", SECRET_KEY);
  }

  /** Random bytes of the given size (package content doesn't matter to the cache). */
  public byte[] randomBytes(int size) {
    byte[] bytes = new byte[size];
    random.nextBytes(bytes);
    return bytes;
  }

  /** Stores the bytes under their digest, as a deploy does; returns the digest. */
  public String put(byte[] bytes) {
    String sha256 = Sha256.hex(bytes);
    putAt(sha256, bytes);
    return sha256;
  }

  /** Stores arbitrary bytes under a digest's key: with bytes of another digest, a corrupt origin copy. */
  public void putAt(String sha256, byte[] bytes) {
    try {
      putOnce(sha256, bytes);
    } catch (UncheckedIOException staleConnection) {
      // After a restart of the origin, the JVM's keep-alive cache may hand out a connection to the
      // old server; HttpURLConnection retries that for GETs, not for PUTs.
      putOnce(sha256, bytes);
    }
  }

  private void putOnce(String sha256, byte[] bytes) {
    s3.putObject(
        b -> b.bucket(BUCKET).key(PackageKeys.contentAddressed(sha256)).metadata(Map.of("sha256", sha256)),
        RequestBody.fromBytes(bytes));
  }

  /** The origin goes down: connections are refused until {@link #start()}. */
  public void stop() {
    server.close();
    running = false;
  }

  public boolean running() {
    return running;
  }

  /** Back up on the same port and directory. */
  public void start() {
    server = EmbeddedS3Server.start("127.0.0.1", port, directory, ACCESS_KEY, SECRET_KEY);
    running = true;
  }

  @Override
  public void close() {
    s3.close();
    if (running) {
      server.close();
    }
  }
}

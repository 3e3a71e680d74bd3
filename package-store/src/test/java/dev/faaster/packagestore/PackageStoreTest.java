package dev.faaster.packagestore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.faaster.embeddeds3.EmbeddedS3Server;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import io.micronaut.test.support.TestPropertyProvider;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * The origin store against a real S3 API (S3Proxy on a free port), with the client the application
 * builds from {@code faaster.object-store.*}.
 */
@MicronautTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PackageStoreTest implements TestPropertyProvider {

  private static final String BUCKET = "packages-test";

  @TempDir static Path storage;

  private EmbeddedS3Server server;

  @Inject PackageStore store;
  @Inject S3Client s3;
  @Inject ObjectStoreConfiguration configuration;
  @Inject ObjectStoreEndpoint endpoint;

  @TempDir Path files;

  @Override
  public Map<String, String> getProperties() {
    server = EmbeddedS3Server.start("127.0.0.1", 0, storage.resolve("s3"), "test-access", "test-secret");
    return Map.of(
        "faaster.object-store.endpoint", server.endpoint().toString(),
        "faaster.object-store.region", "us-east-1",
        "faaster.object-store.bucket", BUCKET,
        "faaster.object-store.access-key", "test-access",
        "faaster.object-store.secret-key", "test-secret");
  }

  @AfterAll
  void stopServer() {
    server.close();
  }

  @Test
  void clientTalksToTheConfiguredEndpoint() {
    assertThat(endpoint.uri()).isEqualTo(server.endpoint());
    assertThat(store.bucket()).isEqualTo(BUCKET);
  }

  @Test
  void ensureBucketCreatesAMissingBucketAndToleratesAnExistingOne() {
    String bucket = "fresh-" + UUID.randomUUID().toString().substring(0, 8);
    PackageStore fresh = storeFor(bucket);
    S3Exception missing = catchThrowableOfType(S3Exception.class, () -> s3.headBucket(b -> b.bucket(bucket)));
    assertThat(missing).isNotNull();
    assertThat(missing.statusCode()).isEqualTo(404);

    fresh.ensureBucket();
    assertThatCode(fresh::ensureBucket).doesNotThrowAnyException();

    assertThat(s3.headBucket(b -> b.bucket(bucket)).sdkHttpResponse().isSuccessful()).isTrue();
  }

  @Test
  void putFileThenHeadReturnsTheDigestAndSize() throws IOException {
    store.ensureBucket();
    byte[] bytes = random(70_000);
    String digest = Sha256.hex(bytes);
    String key = PackageKeys.contentAddressed(digest);

    store.putFile(key, write(bytes), digest);

    Optional<StoredObject> head = store.head(key);
    assertThat(head).contains(new StoredObject(key, bytes.length, digest));
    assertThat(store.exists(key)).isTrue();
  }

  @Test
  void openReturnsTheStoredBytes() throws IOException {
    store.ensureBucket();
    byte[] bytes = random(5_000);
    String key = prefix() + "object.zip";
    store.putFile(key, write(bytes), Sha256.hex(bytes));

    byte[] read;
    try (InputStream in = store.open(key).orElseThrow()) {
      read = in.readAllBytes();
    }

    assertThat(read).isEqualTo(bytes);
  }

  @Test
  void missingObjectIsEmpty() {
    store.ensureBucket();
    String key = prefix() + "never-written.zip";

    assertThat(store.open(key)).isEmpty();
    assertThat(store.head(key)).isEmpty();
    assertThat(store.exists(key)).isFalse();
  }

  @Test
  void copyKeepsTheBytesAndTheDigest() throws IOException {
    store.ensureBucket();
    byte[] bytes = random(12_345);
    String digest = Sha256.hex(bytes);
    String staging = PackageKeys.staging("tenant-" + UUID.randomUUID(), "function-1", digest);
    String published = prefix() + digest + ".zip";
    store.putFile(staging, write(bytes), digest);

    store.copy(staging, published);

    assertThat(store.head(published)).contains(new StoredObject(published, bytes.length, digest));
    try (InputStream in = store.open(published).orElseThrow()) {
      assertThat(Sha256.hex(in.readAllBytes())).isEqualTo(digest);
    }
    assertThat(store.exists(staging)).as("a copy leaves the source").isTrue();
  }

  @Test
  void deleteIsIdempotent() throws IOException {
    store.ensureBucket();
    byte[] bytes = random(100);
    String key = prefix() + "doomed.zip";
    store.putFile(key, write(bytes), Sha256.hex(bytes));

    store.delete(key);
    assertThat(store.exists(key)).isFalse();

    assertThatCode(() -> store.delete(key)).doesNotThrowAnyException();
    assertThat(store.open(key)).isEmpty();
  }

  @Test
  void listReturnsOnlyKeysUnderThePrefix() throws IOException {
    store.ensureBucket();
    String root = prefix();
    byte[] bytes = random(10);
    Path file = write(bytes);
    List<String> mine = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      String key = root + "t1/f" + i + ".zip";
      store.putFile(key, file, Sha256.hex(bytes));
      mine.add(key);
    }
    store.putFile(root + "t2/f0.zip", file, Sha256.hex(bytes));
    store.putFile(root + "t1-sibling.zip", file, Sha256.hex(bytes));

    assertThat(store.list(root + "t1/")).containsExactlyInAnyOrderElementsOf(mine);
    assertThat(store.list(root)).hasSize(7);
    assertThat(store.list(root + "nothing/")).isEmpty();
  }

  private PackageStore storeFor(String bucket) {
    return new PackageStore(
        s3,
        new ObjectStoreConfiguration(
            configuration.endpoint(),
            configuration.region(),
            bucket,
            configuration.accessKey(),
            configuration.secretKey()));
  }

  /** Every test writes under its own prefix, so tests don't see each other's objects. */
  private static String prefix() {
    return "test/" + UUID.randomUUID() + "/";
  }

  private Path write(byte[] bytes) throws IOException {
    return Files.write(Files.createTempFile(files, "package", ".zip"), bytes);
  }

  private static byte[] random(int size) {
    byte[] bytes = new byte[size];
    new Random().nextBytes(bytes);
    return bytes;
  }
}

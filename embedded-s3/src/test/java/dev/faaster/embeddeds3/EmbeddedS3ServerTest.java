package dev.faaster.embeddeds3;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Exception;

class EmbeddedS3ServerTest {

  @TempDir Path directory;

  private static S3Client client(URI endpoint, String secret) {
    return S3Client.builder()
        .endpointOverride(endpoint)
        .region(Region.US_EAST_1)
        .forcePathStyle(true)
        .httpClient(UrlConnectionHttpClient.create())
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("key", secret)))
        .build();
  }

  @Test
  void objectsSurviveARestartOfTheServer() {
    try (EmbeddedS3Server server = EmbeddedS3Server.start("127.0.0.1", 0, directory, "key", "secret");
        S3Client s3 = client(server.endpoint(), "secret")) {
      s3.createBucket(b -> b.bucket("code"));
      s3.putObject(b -> b.bucket("code").key("a/b.zip"), RequestBody.fromString("hello"));
    }
    try (EmbeddedS3Server server = EmbeddedS3Server.start("127.0.0.1", 0, directory, "key", "secret");
        S3Client s3 = client(server.endpoint(), "secret")) {
      String body = s3.getObjectAsBytes(b -> b.bucket("code").key("a/b.zip")).asString(StandardCharsets.UTF_8);
      assertThat(body).isEqualTo("hello");
    }
  }

  @Test
  void rejectsAWrongSecret() {
    try (EmbeddedS3Server server = EmbeddedS3Server.start("127.0.0.1", 0, directory, "key", "secret");
        S3Client s3 = client(server.endpoint(), "not-the-secret")) {
      assertThat(server.endpoint().getHost()).isEqualTo("127.0.0.1");
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> s3.createBucket(b -> b.bucket("code")))
          .isInstanceOf(S3Exception.class)
          .satisfies(e -> assertThat(((S3Exception) e).statusCode()).isEqualTo(403));
    }
  }
}

package dev.faaster.packagestore;

import io.micronaut.context.annotation.Bean;
import io.micronaut.context.annotation.Factory;
import io.micronaut.context.annotation.Requires;
import jakarta.inject.Singleton;
import java.net.URI;
import java.time.Duration;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.retry.RetryMode;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/** Builds the one S3 client of the process (endpoint override + path-style, as MinIO and S3Proxy need). */
@Factory
public class ObjectStoreClientFactory {

  @Singleton
  @Requires(condition = EndpointConfiguredCondition.class)
  ObjectStoreEndpoint configuredEndpoint(ObjectStoreConfiguration configuration) {
    return new ObjectStoreEndpoint(URI.create(configuration.endpoint()));
  }

  @Singleton
  @Bean(preDestroy = "close")
  S3Client s3Client(ObjectStoreConfiguration configuration, ObjectStoreEndpoint endpoint) {
    return S3Client.builder()
        .endpointOverride(endpoint.uri())
        .region(Region.of(configuration.region()))
        .forcePathStyle(true)
        // S3-compatible stores (S3Proxy, older MinIO) reject the SDK's default trailing checksums.
        .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
        .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
        .credentialsProvider(
            StaticCredentialsProvider.create(
                AwsBasicCredentials.create(configuration.accessKey(), configuration.secretKey())))
        // The SDK's own retries cover throttling and connection resets; Temporal retries the rest.
        .overrideConfiguration(o -> o.retryStrategy(RetryMode.STANDARD).addExecutionInterceptor(new NoExpectContinueInterceptor()))
        .httpClient(
            UrlConnectionHttpClient.builder()
                .connectionTimeout(Duration.ofSeconds(5))
                .socketTimeout(Duration.ofSeconds(60))
                .build())
        .build();
  }
}

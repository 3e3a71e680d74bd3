package dev.faaster.api.objectstore;

import dev.faaster.embeddeds3.EmbeddedS3Server;
import dev.faaster.packagestore.EndpointConfiguredCondition;
import dev.faaster.packagestore.ObjectStoreConfiguration;
import dev.faaster.packagestore.ObjectStoreEndpoint;
import io.micronaut.context.annotation.Bean;
import io.micronaut.context.annotation.Factory;
import io.micronaut.context.annotation.Value;
import io.micronaut.context.condition.Condition;
import io.micronaut.context.condition.ConditionContext;
import io.micronaut.context.annotation.Requires;
import jakarta.inject.Singleton;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Starts the embedded S3Proxy when no external object store is configured. */
@Factory
public class EmbeddedObjectStoreFactory {

  private static final Logger log = LoggerFactory.getLogger(EmbeddedObjectStoreFactory.class);

  /** The opposite of {@link EndpointConfiguredCondition}. */
  public static final class EndpointBlankCondition implements Condition {
    @Override
    public boolean matches(ConditionContext context) {
      return !new EndpointConfiguredCondition().matches(context);
    }
  }

  @Singleton
  @Bean(preDestroy = "close")
  @Requires(condition = EndpointBlankCondition.class)
  EmbeddedS3Server embeddedS3Server(
      ObjectStoreConfiguration configuration,
      @Value("${faaster.object-store.embedded.host:127.0.0.1}") String host,
      @Value("${faaster.object-store.embedded.port:9000}") int port,
      @Value("${faaster.object-store.embedded.directory:.data/s3}") String directory) {
    EmbeddedS3Server server =
        EmbeddedS3Server.start(host, port, Path.of(directory), configuration.accessKey(), configuration.secretKey());
    log.info("embedded S3 store at {} (files in {})", server.endpoint(), Path.of(directory).toAbsolutePath());
    return server;
  }

  @Singleton
  @Requires(condition = EndpointBlankCondition.class)
  ObjectStoreEndpoint embeddedEndpoint(EmbeddedS3Server server) {
    return new ObjectStoreEndpoint(server.endpoint());
  }
}

package dev.faaster.zonecache.store;

import dev.faaster.packagestore.EndpointConfiguredCondition;
import dev.faaster.packagestore.ObjectStoreEndpoint;
import io.micronaut.context.annotation.Factory;
import io.micronaut.context.condition.Condition;
import io.micronaut.context.condition.ConditionContext;
import io.micronaut.context.exceptions.ConfigurationException;
import io.micronaut.context.annotation.Requires;
import jakarta.inject.Singleton;
import java.time.Clock;

/** The clock, and the refusal to start without an origin. */
@Factory
public class StoreFactory {

  /** True when no external object store is configured. */
  public static final class EndpointMissingCondition implements Condition {
    @Override
    public boolean matches(ConditionContext context) {
      return !new EndpointConfiguredCondition().matches(context);
    }
  }

  @Singleton
  Clock clock() {
    return Clock.systemUTC();
  }

  /**
   * Stands in for the configured endpoint when there is none, and fails: unlike the api process,
   * the zone cache never starts an embedded object store.
   */
  @Singleton
  @Requires(condition = EndpointMissingCondition.class)
  ObjectStoreEndpoint missingOrigin() {
    throw new ConfigurationException(
        "faaster.object-store.endpoint is empty: set FAASTER_S3_ENDPOINT to the origin's S3 endpoint"
            + " (the zone cache never starts an embedded object store)");
  }
}

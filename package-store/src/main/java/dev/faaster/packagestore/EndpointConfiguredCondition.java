package dev.faaster.packagestore;

import io.micronaut.context.condition.Condition;
import io.micronaut.context.condition.ConditionContext;

/** True when {@code faaster.object-store.endpoint} names an external store. */
public final class EndpointConfiguredCondition implements Condition {

  static final String PROPERTY = "faaster.object-store.endpoint";

  @Override
  public boolean matches(ConditionContext context) {
    return context.getProperty(PROPERTY, String.class).map(value -> !value.isBlank()).orElse(false);
  }
}

package dev.faaster.api.it;

import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Runs a test class only when a real Temporal is named by {@code FAASTER_TEST_TEMPORAL_ADDRESS}
 * (./faaster test starts one and sets it). Without it the class is skipped with the reason, unless
 * {@code FAASTER_TEST_REQUIRE_STACK=true}: then a missing Temporal fails the class instead of
 * letting a run that was meant to cover the real stack pass without doing so.
 */
public final class StackRequired implements ExecutionCondition {

  static final String TEMPORAL_ADDRESS = "FAASTER_TEST_TEMPORAL_ADDRESS";
  static final String REQUIRE_STACK = "FAASTER_TEST_REQUIRE_STACK";

  /** The Temporal front end the tests use; only call from a class this condition enabled. */
  static String temporalAddress() {
    String address = System.getenv(TEMPORAL_ADDRESS);
    if (address == null || address.isBlank()) {
      throw new IllegalStateException(TEMPORAL_ADDRESS + " is not set");
    }
    return address.trim();
  }

  @Override
  public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
    String address = System.getenv(TEMPORAL_ADDRESS);
    if (address != null && !address.isBlank()) {
      return ConditionEvaluationResult.enabled(TEMPORAL_ADDRESS + "=" + address);
    }
    String why = TEMPORAL_ADDRESS + " is not set: no Temporal server to run deploy workflows on";
    if (Boolean.parseBoolean(System.getenv(REQUIRE_STACK))) {
      throw new IllegalStateException(why + ", and " + REQUIRE_STACK + "=true requires one");
    }
    return ConditionEvaluationResult.disabled(
        why + "; skipped (./faaster test starts one, or set it to a dev server's host:port, e.g. 127.0.0.1:7233)");
  }
}

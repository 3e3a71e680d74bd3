package dev.faaster.activities;

import io.temporal.activity.Activity;
import org.slf4j.MDC;

/**
 * Puts tenant, function, version and workflow ids into the logging context for the length of one
 * activity call, so every log line of the call carries them.
 */
public final class ActivityLogContext implements AutoCloseable {

  private static final String[] KEYS = {"tenant", "function", "version", "workflowId", "activity"};

  private ActivityLogContext() {}

  public static ActivityLogContext open(String tenantId, String function, Integer version) {
    put("tenant", tenantId);
    put("function", function);
    put("version", version == null ? null : String.valueOf(version));
    try {
      var info = Activity.getExecutionContext().getInfo();
      put("workflowId", info.getWorkflowId());
      put("activity", info.getActivityType());
    } catch (IllegalStateException notInActivity) {
      // Called outside an activity (a unit test calling the implementation directly).
    }
    return new ActivityLogContext();
  }

  private static void put(String key, String value) {
    if (value != null) {
      MDC.put(key, value);
    }
  }

  @Override
  public void close() {
    for (String key : KEYS) {
      MDC.remove(key);
    }
  }
}

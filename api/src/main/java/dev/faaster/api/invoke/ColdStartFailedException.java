package dev.faaster.api.invoke;

import io.micronaut.core.annotation.Nullable;

/** A cold start that did not give a ready instance. */
public class ColdStartFailedException extends RuntimeException {

  private final String type;

  /**
   * @param type the failure type ({@link dev.faaster.workflows.coldstart.ColdStartFailureTypes}), or
   *     null when the cold start failed for a reason the function can't fix (service down, retries
   *     exhausted)
   */
  public ColdStartFailedException(@Nullable String type, String message, @Nullable Throwable cause) {
    super(message, cause);
    this.type = type;
  }

  @Nullable
  public String type() {
    return type;
  }
}

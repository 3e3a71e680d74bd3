package dev.faaster.api.invoke;

import io.micronaut.core.annotation.Nullable;

/** A cold start that did not give a ready instance. */
public class ColdStartFailedException extends RuntimeException {

  private final String type;
  private final boolean unsettled;

  /**
   * @param type the failure type ({@link dev.faaster.workflows.coldstart.ColdStartFailureTypes}), or
   *     null when the cold start failed for a reason the function can't fix (service down, retries
   *     exhausted)
   */
  public ColdStartFailedException(@Nullable String type, String message, @Nullable Throwable cause) {
    this(type, message, cause, false);
  }

  /**
   * @param unsettled whether the cold start may still hold something (a slot, a VM): its start RPC
   *     failed and the workflow service could not say that no workflow started
   */
  public ColdStartFailedException(@Nullable String type, String message, @Nullable Throwable cause, boolean unsettled) {
    super(message, cause);
    this.type = type;
    this.unsettled = unsettled;
  }

  @Nullable
  public String type() {
    return type;
  }

  /**
   * True when nobody knows whether the cold start holds a slot or will still make an instance: the
   * router hands its instance to the orphan reconciler ({@link RouterLease#abandoned}) instead of
   * forgetting it.
   */
  public boolean unsettled() {
    return unsettled;
  }
}

package dev.faaster.activities.schedule;

/**
 * The {@code faaster.roles} pattern of a process that polls the control task queue (role
 * {@code worker}): it holds the scheduler's free lists and watches node liveness.
 */
public final class ControlRole {

  public static final String PATTERN = "(.*,)?\\s*worker\\s*(,.*)?";

  private ControlRole() {}
}

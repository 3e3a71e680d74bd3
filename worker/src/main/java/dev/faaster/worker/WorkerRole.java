package dev.faaster.worker;

/** The {@code faaster.roles} pattern that enables the worker in this process. */
public final class WorkerRole {

  /** Matches a comma-separated role list containing "worker". */
  public static final String PATTERN = "(.*,)?\\s*worker\\s*(,.*)?";

  private WorkerRole() {}
}

package dev.faaster.api.versions;

/** The deploy workflow could not be started (the workflow service is unreachable). */
public class DeployNotStartedException extends RuntimeException {

  public DeployNotStartedException(String message, Throwable cause) {
    super(message, cause);
  }
}

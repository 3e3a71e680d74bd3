package dev.faaster.api.versions;

/** The deploy workflow finished with a failure. */
public class DeployFailedException extends RuntimeException {

  public DeployFailedException(String message, Throwable cause) {
    super(message, cause);
  }
}

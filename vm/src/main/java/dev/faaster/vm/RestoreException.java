package dev.faaster.vm;

/** Restoring a clone from a template failed; the clone's domain has been destroyed. */
public class RestoreException extends VmException {

  public RestoreException(String message) {
    super(message);
  }

  public RestoreException(String message, Throwable cause) {
    super(message, cause);
  }
}

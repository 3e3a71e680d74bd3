package dev.faaster.vm;

/** Base of the module's errors; each operation throws its own subtype. */
public class VmException extends RuntimeException {

  public VmException(String message) {
    super(message);
  }

  public VmException(String message, Throwable cause) {
    super(message, cause);
  }
}

package dev.faaster.vm;

/** A libvirt call failed (connection, domain creation, monitor command, destroy). */
public class HypervisorException extends VmException {

  public HypervisorException(String message) {
    super(message);
  }

  public HypervisorException(String message, Throwable cause) {
    super(message, cause);
  }
}

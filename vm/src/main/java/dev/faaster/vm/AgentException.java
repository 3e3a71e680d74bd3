package dev.faaster.vm;

/** Talking to a guest agent failed: no answer in time, a broken frame, or an ERROR reply. */
public class AgentException extends VmException {

  private final String code;

  public AgentException(String message) {
    this(null, message, null);
  }

  public AgentException(String message, Throwable cause) {
    this(null, message, cause);
  }

  /**
   * @param code the agent's error code from an ERROR frame ({@code busy}, {@code no_code}, ...),
   *     null when the failure was on the host side (timeout, I/O, bad frame)
   */
  public AgentException(String code, String message, Throwable cause) {
    super(code == null ? message : code + ": " + message, cause);
    this.code = code;
  }

  /** The agent's error code, or null when the agent didn't send one. */
  public String code() {
    return code;
  }
}

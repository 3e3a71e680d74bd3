package dev.faaster.vm;

/** Building a template failed; no template domain is left running and no partial files are kept. */
public class TemplateBuildException extends VmException {

  public TemplateBuildException(String message) {
    super(message);
  }

  public TemplateBuildException(String message, Throwable cause) {
    super(message, cause);
  }
}

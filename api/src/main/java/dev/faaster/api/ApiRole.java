package dev.faaster.api;

/** The {@code faaster.roles} pattern that enables the HTTP API's routes in this process. */
public final class ApiRole {

  /** Matches a comma-separated role list containing "api". */
  public static final String PATTERN = "(.*,)?\\s*api\\s*(,.*)?";

  private ApiRole() {}
}

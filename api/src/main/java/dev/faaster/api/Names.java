package dev.faaster.api;

import dev.faaster.api.error.ApiException;
import dev.faaster.api.error.ErrorCode;
import java.util.regex.Pattern;

/** Rules for the names users choose (functions, aliases, tenants), as Lambda's: letters, digits, - and _. */
public final class Names {

  private static final Pattern FUNCTION = Pattern.compile("[A-Za-z0-9_-]{1,64}");
  private static final Pattern TENANT = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");
  /** Aliases can't be all digits: "/versions/3" and an alias "3" would be ambiguous qualifiers. */
  private static final Pattern ALIAS = Pattern.compile("(?!^[0-9]+$)[A-Za-z0-9_-]{1,64}");

  private Names() {}

  public static String function(String name) {
    return check(FUNCTION, name, "function name", "1 to 64 letters, digits, '-' or '_'");
  }

  public static String tenant(String name) {
    return check(TENANT, name, "tenant name", "1 to 63 lowercase letters, digits or '-', starting with a letter or digit");
  }

  public static String alias(String name) {
    return check(ALIAS, name, "alias name", "1 to 64 letters, digits, '-' or '_', not only digits");
  }

  private static String check(Pattern pattern, String name, String what, String rule) {
    if (name == null || !pattern.matcher(name).matches()) {
      throw ApiException.badRequest(
          ErrorCode.INVALID_NAME, "The " + what + " '" + (name == null ? "" : name) + "' is invalid: use " + rule + ".");
    }
    return name;
  }
}

package dev.faaster.api.functions;

import dev.faaster.api.error.ApiException;
import dev.faaster.api.error.ErrorCode;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/** What a function's configuration may say. */
public final class FunctionRules {

  public static final Set<String> RUNTIMES = Set.of("provided", "python3");
  /** Fixed flavors: the scheduler divides nodes into slots of exactly these sizes. */
  public static final List<Integer> MEMORY_FLAVORS_MB = List.of(128, 256, 512, 1024);
  public static final int DEFAULT_MEMORY_MB = 128;
  public static final int DEFAULT_TIMEOUT_SECONDS = 3;
  public static final int MAX_TIMEOUT_SECONDS = 900;
  /** Lambda's limit on the environment, keys and values together. */
  public static final int MAX_ENVIRONMENT_BYTES = 4096;

  private static final Pattern ENV_KEY = Pattern.compile("[A-Za-z][A-Za-z0-9_]*");
  private static final Pattern PYTHON_HANDLER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)+");
  private static final String RESERVED_PREFIX = "FAASTER_";

  private FunctionRules() {}

  public static String runtime(String runtime) {
    if (runtime == null || !RUNTIMES.contains(runtime)) {
      throw ApiException.badRequest(
          ErrorCode.UNKNOWN_RUNTIME,
          "Unknown runtime '" + (runtime == null ? "" : runtime) + "'; use one of " + RUNTIMES.stream().sorted().toList() + ".");
    }
    return runtime;
  }

  public static int memory(int memoryMb) {
    if (!MEMORY_FLAVORS_MB.contains(memoryMb)) {
      throw ApiException.badRequest(
          ErrorCode.UNKNOWN_MEMORY_FLAVOR, "Memory must be one of the flavors " + MEMORY_FLAVORS_MB + " MiB, not " + memoryMb + ".");
    }
    return memoryMb;
  }

  public static int timeout(int seconds) {
    if (seconds < 1 || seconds > MAX_TIMEOUT_SECONDS) {
      throw ApiException.badRequest(
          ErrorCode.INVALID_TIMEOUT, "The timeout must be 1 to " + MAX_TIMEOUT_SECONDS + " seconds, not " + seconds + ".");
    }
    return seconds;
  }

  public static String handler(String runtime, String handler) {
    if ("python3".equals(runtime) && (handler == null || !PYTHON_HANDLER.matcher(handler).matches())) {
      throw ApiException.badRequest(
          ErrorCode.INVALID_HANDLER,
          "A python3 function needs a handler 'module.function' (for example 'main.handler'), not '"
              + (handler == null ? "" : handler)
              + "'.");
    }
    if (handler != null && handler.length() > 128) {
      throw ApiException.badRequest(ErrorCode.INVALID_HANDLER, "The handler is longer than 128 characters.");
    }
    return handler;
  }

  public static Map<String, String> environment(Map<String, String> environment) {
    int bytes = 0;
    for (Map.Entry<String, String> entry : environment.entrySet()) {
      String key = entry.getKey();
      if (!ENV_KEY.matcher(key).matches()) {
        throw ApiException.badRequest(
            ErrorCode.INVALID_ENVIRONMENT,
            "The environment variable name '" + key + "' is invalid: start with a letter, then letters, digits or '_'.");
      }
      if (key.startsWith(RESERVED_PREFIX)) {
        throw ApiException.badRequest(
            ErrorCode.INVALID_ENVIRONMENT, "Environment variables starting with " + RESERVED_PREFIX + " are reserved.");
      }
      if (entry.getValue() == null) {
        throw ApiException.badRequest(ErrorCode.INVALID_ENVIRONMENT, "The environment variable '" + key + "' has no value.");
      }
      bytes += key.getBytes(StandardCharsets.UTF_8).length + entry.getValue().getBytes(StandardCharsets.UTF_8).length;
    }
    if (bytes > MAX_ENVIRONMENT_BYTES) {
      throw ApiException.badRequest(
          ErrorCode.INVALID_ENVIRONMENT,
          "The environment takes " + bytes + " bytes; the limit is " + MAX_ENVIRONMENT_BYTES + ".");
    }
    return environment;
  }

  public static String description(String description) {
    if (description != null && description.length() > 256) {
      throw ApiException.badRequest(ErrorCode.VALIDATION_FAILED, "The description is longer than 256 characters.");
    }
    return description;
  }
}

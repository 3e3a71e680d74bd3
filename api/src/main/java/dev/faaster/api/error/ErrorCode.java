package dev.faaster.api.error;

/** Stable, machine-readable error codes. Clients may switch on them; never rename one. */
public final class ErrorCode {

  public static final String UNAUTHENTICATED = "UNAUTHENTICATED";
  public static final String FORBIDDEN = "FORBIDDEN";
  public static final String NOT_FOUND = "NOT_FOUND";
  public static final String VALIDATION_FAILED = "VALIDATION_FAILED";
  public static final String MALFORMED_REQUEST = "MALFORMED_REQUEST";
  public static final String INVALID_NAME = "INVALID_NAME";
  public static final String UNKNOWN_RUNTIME = "UNKNOWN_RUNTIME";
  public static final String UNKNOWN_MEMORY_FLAVOR = "UNKNOWN_MEMORY_FLAVOR";
  public static final String INVALID_TIMEOUT = "INVALID_TIMEOUT";
  public static final String INVALID_ENVIRONMENT = "INVALID_ENVIRONMENT";
  public static final String INVALID_HANDLER = "INVALID_HANDLER";
  public static final String INVALID_ROUTING = "INVALID_ROUTING";
  public static final String VERSION_NOT_FOUND = "VERSION_NOT_FOUND";
  public static final String FUNCTION_EXISTS = "FUNCTION_EXISTS";
  public static final String TENANT_EXISTS = "TENANT_EXISTS";
  public static final String ALIAS_EXISTS = "ALIAS_EXISTS";
  public static final String NO_CODE = "NO_CODE";
  public static final String DEPLOY_IN_PROGRESS = "DEPLOY_IN_PROGRESS";
  public static final String CONCURRENT_MODIFICATION = "CONCURRENT_MODIFICATION";
  public static final String UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE";
  public static final String METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED";
  public static final String PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE";
  public static final String INVALID_QUALIFIER = "INVALID_QUALIFIER";
  public static final String INVALID_INVOCATION_TYPE = "INVALID_INVOCATION_TYPE";
  public static final String INVALID_CONCURRENCY = "INVALID_CONCURRENCY";
  public static final String TOO_MANY_REQUESTS = "TOO_MANY_REQUESTS";
  public static final String DEPLOY_FAILED = "DEPLOY_FAILED";
  public static final String SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE";
  public static final String INTERNAL = "INTERNAL";

  private ErrorCode() {}
}

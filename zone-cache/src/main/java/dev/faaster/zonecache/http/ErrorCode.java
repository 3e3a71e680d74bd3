package dev.faaster.zonecache.http;

/** The error codes of the zone cache's responses (besides the {@code PackageUnavailableException.Reason} names). */
public final class ErrorCode {

  public static final String UNAUTHENTICATED = "UNAUTHENTICATED";
  public static final String TENANT_REQUIRED = "TENANT_REQUIRED";
  public static final String INVALID_DIGEST = "INVALID_DIGEST";
  public static final String NOT_OWNED = "NOT_OWNED";
  public static final String RANGE_NOT_SATISFIABLE = "RANGE_NOT_SATISFIABLE";
  public static final String REGISTRY_UNAVAILABLE = "REGISTRY_UNAVAILABLE";
  public static final String VALIDATION_FAILED = "VALIDATION_FAILED";
  public static final String MALFORMED_REQUEST = "MALFORMED_REQUEST";
  public static final String NOT_FOUND = "NOT_FOUND";
  public static final String METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED";
  public static final String INTERNAL = "INTERNAL";

  private ErrorCode() {}
}

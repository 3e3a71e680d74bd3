package dev.faaster.zonecache.store;

/**
 * The zone cache can't hand out a package: why (a stable code naming the tier that failed) and a
 * sentence a person understands. The error type of {@link PackageCache#open} and {@link PackageCache#warm}.
 */
public final class PackageUnavailableException extends Exception {

  /** Why; the names are the error codes the HTTP API returns. */
  public enum Reason {
    /** The origin has no object for the digest. */
    NOT_AT_ORIGIN,
    /** The origin's bytes don't hash to the digest: nothing was installed. */
    ORIGIN_DIGEST_MISMATCH,
    /** The origin can't be reached or answered with an error, and the cache doesn't hold the package. */
    ORIGIN_UNAVAILABLE,
    /** The package is larger than the cache's whole size bound. */
    LARGER_THAN_CACHE,
    /** The cache's own disk failed (full, unwritable). */
    CACHE_STORAGE_FAILED
  }

  private final Reason reason;

  public PackageUnavailableException(Reason reason, String message) {
    super(message);
    this.reason = reason;
  }

  public PackageUnavailableException(Reason reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}

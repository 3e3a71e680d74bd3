package dev.faaster.codecache;

/**
 * Why one tier did not deliver a package.
 *
 * @param tier tier name ({@code l1}, {@code l2}, {@code origin})
 * @param reason what went wrong
 * @param detail the tier's own words (exception, status, digest it served)
 */
public record TierFailure(String tier, Reason reason, String detail) {

  /** What went wrong at one tier. */
  public enum Reason {
    /** The tier doesn't hold the package and couldn't get it. */
    NOT_FOUND("not found"),
    /** The tier's bytes don't hash to the digest; they were dropped, never served. */
    CORRUPT("corrupt"),
    /** The tier sent more bytes than the cache can hold. */
    TOO_LARGE("too large"),
    /** The tier can't be reached, failed, or the cache couldn't store what it sent. */
    UNAVAILABLE("unavailable"),
    /** The tier refuses this tenant this digest. */
    DENIED("denied");

    private final String description;

    Reason(String description) {
      this.description = description;
    }

    public String description() {
      return description;
    }
  }

  @Override
  public String toString() {
    return tier + ": " + reason.description() + (detail == null || detail.isBlank() ? "" : " (" + detail + ")");
  }
}

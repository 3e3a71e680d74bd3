package dev.faaster.workflows.deploy;

/**
 * Types of the non-retryable {@code ApplicationFailure}s deploy activities raise. A retry cannot fix
 * any of them, so the workflow stops retrying and compensates.
 */
public final class DeployFailureTypes {

  /** The staged object is gone (the function was deleted or its code replaced). */
  public static final String PACKAGE_MISSING = "PackageMissing";
  /** The stored bytes don't hash to the digest computed at upload. */
  public static final String DIGEST_MISMATCH = "PackageDigestMismatch";
  /** The zip is unsafe or malformed (path traversal, zip bomb, not a zip). */
  public static final String INVALID_PACKAGE = "InvalidPackage";
  /** The deployment record or its function no longer exists. */
  public static final String DEPLOYMENT_NOT_FOUND = "DeploymentNotFound";
  /** The version number is already taken by a different deployment. */
  public static final String VERSION_CONFLICT = "VersionConflict";

  private DeployFailureTypes() {}

  /** All of the above, for {@code RetryOptions.setDoNotRetry}. */
  public static String[] all() {
    return new String[] {PACKAGE_MISSING, DIGEST_MISMATCH, INVALID_PACKAGE, DEPLOYMENT_NOT_FOUND, VERSION_CONFLICT};
  }
}

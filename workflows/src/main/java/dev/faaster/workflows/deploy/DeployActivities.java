package dev.faaster.workflows.deploy;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;

/**
 * I/O steps of a deploy. Every method is idempotent for the same {@code deploymentId}: Temporal may
 * run an activity more than once (a retry after a timeout, a worker killed after the side effect but
 * before reporting it), and a second run must neither duplicate nor undo the first.
 */
@ActivityInterface
public interface DeployActivities {

  /**
   * Re-reads the staged package, recomputes its sha256 and checks the zip is safe. The worker does
   * not trust the API's checks: the object could have changed since.
   *
   * @param request the deploy; {@code stagingKey}, {@code sha256} and {@code sizeBytes} are checked
   * @throws io.temporal.failure.ApplicationFailure {@link DeployFailureTypes#PACKAGE_MISSING},
   *     {@link DeployFailureTypes#DIGEST_MISMATCH} or {@link DeployFailureTypes#INVALID_PACKAGE}
   */
  @ActivityMethod
  VerifiedPackage verifyPackage(DeployRequest request);

  /**
   * Copies the staged package to its content-addressed key. Identical content already stored is
   * left as is. Undone by {@link #deletePackageIfUnreferenced}.
   *
   * @param request the deploy; {@code deploymentId} is used for idempotency and compensation
   *     correlation
   */
  @ActivityMethod
  StoredPackage storePackage(DeployRequest request);

  /**
   * Records the immutable version from the deployment's configuration snapshot. A second call for
   * the same deployment is a no-op. Undone by {@link #removeVersion}.
   *
   * @throws io.temporal.failure.ApplicationFailure {@link DeployFailureTypes#VERSION_CONFLICT} when
   *     another deployment holds the number, {@link DeployFailureTypes#DEPLOYMENT_NOT_FOUND} when the
   *     deployment or function is gone
   */
  @ActivityMethod
  void recordVersion(DeployRequest request, String packageKey);

  /**
   * Asks the zone cache to hold the package before its first cold start. Returns false when no zone
   * cache is configured; failing here doesn't fail the deploy.
   */
  @ActivityMethod
  boolean warmZoneCache(DeployRequest request, String packageKey);

  /** Marks the deployment succeeded. Idempotent. */
  @ActivityMethod
  void markDeploySucceeded(String deploymentId);

  /** Marks the deployment failed with a reason a person can read. Idempotent. */
  @ActivityMethod
  void markDeployFailed(String deploymentId, String reason);

  /**
   * Compensation of {@link #storePackage}: deletes the content-addressed object unless a recorded
   * version (other than this deployment's) or another in-flight deployment still uses the digest.
   * Tolerates the object never having been written.
   */
  @ActivityMethod
  void deletePackageIfUnreferenced(String sha256, String deploymentId);

  /** Compensation of {@link #recordVersion}: removes the version this deployment recorded, if any. */
  @ActivityMethod
  void removeVersion(String deploymentId);
}

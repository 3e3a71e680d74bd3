package dev.faaster.workflows.deploy;

import dev.faaster.workflows.FailureReasons;
import io.temporal.activity.ActivityOptions;
import io.temporal.common.RetryOptions;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.TemporalFailure;
import io.temporal.workflow.Saga;
import io.temporal.workflow.Workflow;
import java.time.Duration;
import org.slf4j.Logger;

/** Deterministic deploy: the order of steps and what undoes them. All I/O is in {@link DeployActivities}. */
public class DeployFunctionWorkflowImpl implements DeployFunctionWorkflow {

  private static final Logger log = Workflow.getLogger(DeployFunctionWorkflowImpl.class);

  /** Transient faults (store or database briefly down) are retried; permanent ones are named types. */
  static final RetryOptions STEP_RETRY =
      RetryOptions.newBuilder()
          .setInitialInterval(Duration.ofSeconds(1))
          .setBackoffCoefficient(2.0)
          .setMaximumInterval(Duration.ofSeconds(20))
          .setMaximumAttempts(6)
          .setDoNotRetry(DeployFailureTypes.all())
          .build();

  /** Compensation must get through: more attempts, same non-retryable types. */
  static final RetryOptions COMPENSATION_RETRY =
      RetryOptions.newBuilder()
          .setInitialInterval(Duration.ofSeconds(1))
          .setBackoffCoefficient(2.0)
          .setMaximumInterval(Duration.ofSeconds(30))
          .setMaximumAttempts(20)
          .setDoNotRetry(DeployFailureTypes.all())
          .build();

  private final DeployActivities steps =
      Workflow.newActivityStub(
          DeployActivities.class,
          ActivityOptions.newBuilder()
              // Packages are at most tens of MiB; a copy that takes longer than this is stuck.
              .setStartToCloseTimeout(Duration.ofSeconds(60))
              .setScheduleToCloseTimeout(Duration.ofMinutes(10))
              .setRetryOptions(STEP_RETRY)
              .build());

  private final DeployActivities compensations =
      Workflow.newActivityStub(
          DeployActivities.class,
          ActivityOptions.newBuilder()
              .setStartToCloseTimeout(Duration.ofSeconds(30))
              .setRetryOptions(COMPENSATION_RETRY)
              .build());

  @Override
  public DeployResult deploy(DeployRequest request) {
    Saga saga = new Saga(new Saga.Options.Builder().setParallelCompensation(false).build());
    try {
      steps.verifyPackage(request);

      // Registered before the call it undoes: a store that succeeded but whose result was lost
      // (worker killed) must still be undone. The compensation tolerates a missing object.
      saga.addCompensation(compensations::deletePackageIfUnreferenced, request.sha256(), request.deploymentId());
      StoredPackage stored = steps.storePackage(request);

      saga.addCompensation(compensations::removeVersion, request.deploymentId());
      steps.recordVersion(request, stored.key());

      boolean warmed = warmZoneCache(request, stored.key());
      steps.markDeploySucceeded(request.deploymentId());
      log.info("deployed version {} of {} ({})", request.version(), request.functionName(), request.sha256());
      return new DeployResult(
          request.deploymentId(), request.version(), stored.key(), request.sha256(), request.sizeBytes(), warmed);
    } catch (TemporalFailure failure) {
      String reason = reasonOf(failure);
      log.warn("deploy of version {} of {} failed: {}", request.version(), request.functionName(), reason);
      // Detached: compensation must run even when the workflow itself is being cancelled.
      Workflow.newDetachedCancellationScope(
              () -> {
                String undone = compensate(saga);
                String recorded = undone == null ? reason : reason + "; " + undone;
                compensations.markDeployFailed(request.deploymentId(), recorded);
              })
          .run();
      throw failure;
    }
  }

  /**
   * Runs the compensations newest first. The first one that fails for good stops the rest (the
   * package must not be deleted while the version that references it may still be recorded), but
   * not the failed mark: the deployment must leave its in-progress state either way.
   *
   * @return what was left undone, or null when everything was undone
   */
  private static String compensate(Saga saga) {
    try {
      saga.compensate();
      return null;
    } catch (TemporalFailure undoFailure) {
      String undone = "undo incomplete: " + reasonOf(undoFailure);
      log.error("{}; left for an operator", undone);
      return undone;
    }
  }

  /** The zone cache only speeds up the first cold start; a deploy does not fail for it. */
  private boolean warmZoneCache(DeployRequest request, String packageKey) {
    try {
      return steps.warmZoneCache(request, packageKey);
    } catch (ActivityFailure failure) {
      log.warn("zone cache warm-up failed, the first cold start will fill it: {}", reasonOf(failure));
      return false;
    }
  }

  /** The innermost failure's message: what actually went wrong, not "activity task failed". */
  static String reasonOf(Throwable failure) {
    return FailureReasons.of(failure);
  }

}

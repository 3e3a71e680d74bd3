package dev.faaster.workflows.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.ArgumentMatchers.contains;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.doThrow;
import static org.mockito.Mockito.inOrder;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;
import static org.mockito.Mockito.withSettings;

import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.testing.TestWorkflowExtension;
import io.temporal.worker.Worker;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.mockito.ArgumentCaptor;
import org.mockito.InOrder;

class DeployFunctionWorkflowTest {

  @RegisterExtension
  static final TestWorkflowExtension testWorkflow =
      TestWorkflowExtension.newBuilder()
          .setWorkflowTypes(DeployFunctionWorkflowImpl.class)
          .setDoNotStart(true)
          .build();

  static final DeployRequest REQUEST =
      new DeployRequest(
          "dep-7f3a",
          "tenant-1",
          "fn-42",
          "resize-image",
          3,
          "staging/tenant-1/fn-42/latest.zip",
          "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
          4_096L);

  static final String PACKAGE_KEY =
      "packages/9f/86/9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08.zip";

  static final VerifiedPackage VERIFIED = new VerifiedPackage(REQUEST.sha256(), REQUEST.sizeBytes(), 3, 12_288L);

  private DeployActivities activities;

  @BeforeEach
  void cannedHappyPath() {
    activities = mock(DeployActivities.class, withSettings().withoutAnnotations());
    when(activities.verifyPackage(REQUEST)).thenReturn(VERIFIED);
    when(activities.storePackage(REQUEST)).thenReturn(new StoredPackage(PACKAGE_KEY, true));
    when(activities.warmZoneCache(REQUEST, PACKAGE_KEY)).thenReturn(true);
  }

  private DeployFunctionWorkflow start(TestWorkflowEnvironment testEnv, Worker worker, WorkflowOptions options) {
    worker.registerActivitiesImplementations(activities);
    testEnv.start();
    WorkflowClient client = testEnv.getWorkflowClient();
    return client.newWorkflowStub(
        DeployFunctionWorkflow.class,
        options.toBuilder()
            .setWorkflowId(DeployWorkflowIds.of(REQUEST.tenantId(), REQUEST.functionId(), REQUEST.version()))
            .build());
  }

  private static ApplicationFailure versionConflict() {
    return ApplicationFailure.newNonRetryableFailure(
        "version 3 is held by dep-0001", DeployFailureTypes.VERSION_CONFLICT);
  }

  /** Walks WorkflowFailedException -> ActivityFailure -> ApplicationFailure and returns the last. */
  private static ApplicationFailure applicationFailureOf(Throwable thrown) {
    assertThat(thrown).isInstanceOf(WorkflowFailedException.class);
    assertThat(thrown.getCause()).isInstanceOf(ActivityFailure.class);
    assertThat(thrown.getCause().getCause()).isInstanceOf(ApplicationFailure.class);
    return (ApplicationFailure) thrown.getCause().getCause();
  }

  @Test
  void deploysInOrderAndReturnsTheStoredKey(TestWorkflowEnvironment testEnv, Worker worker, WorkflowOptions options) {
    DeployFunctionWorkflow workflow = start(testEnv, worker, options);

    DeployResult result = workflow.deploy(REQUEST);

    assertThat(result)
        .isEqualTo(
            new DeployResult(REQUEST.deploymentId(), 3, PACKAGE_KEY, REQUEST.sha256(), REQUEST.sizeBytes(), true));
    InOrder order = inOrder(activities);
    order.verify(activities).verifyPackage(REQUEST);
    order.verify(activities).storePackage(REQUEST);
    order.verify(activities).recordVersion(REQUEST, PACKAGE_KEY);
    order.verify(activities).warmZoneCache(REQUEST, PACKAGE_KEY);
    order.verify(activities).markDeploySucceeded(REQUEST.deploymentId());
    verify(activities, never()).deletePackageIfUnreferenced(anyString(), anyString());
    verify(activities, never()).removeVersion(anyString());
    verify(activities, never()).markDeployFailed(anyString(), anyString());
  }

  @Test
  void retriesATransientStoreFailure(TestWorkflowEnvironment testEnv, Worker worker, WorkflowOptions options) {
    when(activities.storePackage(REQUEST))
        .thenThrow(new RuntimeException("object store unavailable"))
        .thenThrow(new RuntimeException("object store unavailable"))
        .thenThrow(new RuntimeException("object store unavailable"))
        .thenReturn(new StoredPackage(PACKAGE_KEY, true));
    DeployFunctionWorkflow workflow = start(testEnv, worker, options);

    DeployResult result = workflow.deploy(REQUEST);

    assertThat(result.packageKey()).isEqualTo(PACKAGE_KEY);
    verify(activities, times(4)).storePackage(REQUEST);
    verify(activities).markDeploySucceeded(REQUEST.deploymentId());
    verify(activities, never()).deletePackageIfUnreferenced(anyString(), anyString());
  }

  @Test
  void digestMismatchIsNotRetriedAndStoresNothing(
      TestWorkflowEnvironment testEnv, Worker worker, WorkflowOptions options) {
    // Thrown as a *retryable* failure on purpose: the step retry policy's doNotRetry list must stop it.
    when(activities.verifyPackage(REQUEST))
        .thenThrow(ApplicationFailure.newFailure("stored bytes hash to 0bad", DeployFailureTypes.DIGEST_MISMATCH));
    DeployFunctionWorkflow workflow = start(testEnv, worker, options);

    WorkflowFailedException thrown =
        catchThrowableOfType(WorkflowFailedException.class, () -> workflow.deploy(REQUEST));

    assertThat(applicationFailureOf(thrown).getType()).isEqualTo(DeployFailureTypes.DIGEST_MISMATCH);
    verify(activities, times(1)).verifyPackage(REQUEST);
    verify(activities, never()).storePackage(any());
    verify(activities, never()).recordVersion(any(), anyString());
    verify(activities, never()).markDeploySucceeded(anyString());
    verify(activities)
        .markDeployFailed(eq(REQUEST.deploymentId()), contains(DeployFailureTypes.DIGEST_MISMATCH));
  }

  @Test
  void versionConflictUndoesRecordThenStoreInReverseOrder(
      TestWorkflowEnvironment testEnv, Worker worker, WorkflowOptions options) {
    doThrow(versionConflict()).when(activities).recordVersion(REQUEST, PACKAGE_KEY);
    DeployFunctionWorkflow workflow = start(testEnv, worker, options);

    WorkflowFailedException thrown =
        catchThrowableOfType(WorkflowFailedException.class, () -> workflow.deploy(REQUEST));

    assertThat(applicationFailureOf(thrown).getType()).isEqualTo(DeployFailureTypes.VERSION_CONFLICT);
    verify(activities, times(1)).recordVersion(REQUEST, PACKAGE_KEY);

    ArgumentCaptor<String> sha256 = ArgumentCaptor.forClass(String.class);
    ArgumentCaptor<String> deletedFor = ArgumentCaptor.forClass(String.class);
    ArgumentCaptor<String> removedFor = ArgumentCaptor.forClass(String.class);
    ArgumentCaptor<String> reason = ArgumentCaptor.forClass(String.class);
    InOrder order = inOrder(activities);
    order.verify(activities).removeVersion(removedFor.capture());
    order.verify(activities).deletePackageIfUnreferenced(sha256.capture(), deletedFor.capture());
    order.verify(activities).markDeployFailed(eq(REQUEST.deploymentId()), reason.capture());
    assertThat(removedFor.getValue()).isEqualTo(REQUEST.deploymentId());
    assertThat(sha256.getValue()).isEqualTo(REQUEST.sha256());
    assertThat(deletedFor.getValue()).isEqualTo(REQUEST.deploymentId());
    assertThat(reason.getValue()).contains(DeployFailureTypes.VERSION_CONFLICT).contains("dep-0001");
    verify(activities, never()).warmZoneCache(any(), anyString());
    verify(activities, never()).markDeploySucceeded(anyString());
  }

  @Test
  void zoneCacheFailureDoesNotFailTheDeploy(TestWorkflowEnvironment testEnv, Worker worker, WorkflowOptions options) {
    when(activities.warmZoneCache(REQUEST, PACKAGE_KEY))
        .thenThrow(ApplicationFailure.newNonRetryableFailure("zone cache unreachable", "ZoneCacheUnavailable"));
    DeployFunctionWorkflow workflow = start(testEnv, worker, options);

    DeployResult result = workflow.deploy(REQUEST);

    assertThat(result.zoneCacheWarmed()).isFalse();
    assertThat(result.packageKey()).isEqualTo(PACKAGE_KEY);
    verify(activities, times(1)).warmZoneCache(REQUEST, PACKAGE_KEY);
    verify(activities).markDeploySucceeded(REQUEST.deploymentId());
    verify(activities, never()).removeVersion(anyString());
    verify(activities, never()).deletePackageIfUnreferenced(anyString(), anyString());
    verify(activities, never()).markDeployFailed(anyString(), anyString());
  }

  @Test
  void transientCompensationFailureIsRetriedAndTheOriginalFailureReported(
      TestWorkflowEnvironment testEnv, Worker worker, WorkflowOptions options) {
    doThrow(versionConflict()).when(activities).recordVersion(REQUEST, PACKAGE_KEY);
    doThrow(new RuntimeException("database unavailable"))
        .doThrow(new RuntimeException("database unavailable"))
        .doNothing()
        .when(activities)
        .removeVersion(REQUEST.deploymentId());
    DeployFunctionWorkflow workflow = start(testEnv, worker, options);

    WorkflowFailedException thrown =
        catchThrowableOfType(WorkflowFailedException.class, () -> workflow.deploy(REQUEST));

    assertThat(applicationFailureOf(thrown).getType()).isEqualTo(DeployFailureTypes.VERSION_CONFLICT);
    verify(activities, times(3)).removeVersion(REQUEST.deploymentId());
    InOrder order = inOrder(activities);
    order.verify(activities).deletePackageIfUnreferenced(REQUEST.sha256(), REQUEST.deploymentId());
    order.verify(activities)
        .markDeployFailed(eq(REQUEST.deploymentId()), contains(DeployFailureTypes.VERSION_CONFLICT));
  }

  @Test
  void permanentCompensationFailureStopsUndoingButStillMarksTheDeployFailed(
      TestWorkflowEnvironment testEnv, Worker worker, WorkflowOptions options) {
    doThrow(versionConflict()).when(activities).recordVersion(REQUEST, PACKAGE_KEY);
    // Retryable as thrown: the compensation retry policy must still treat the named type as permanent.
    doThrow(ApplicationFailure.newFailure("function row is gone", DeployFailureTypes.DEPLOYMENT_NOT_FOUND))
        .when(activities)
        .removeVersion(REQUEST.deploymentId());
    DeployFunctionWorkflow workflow = start(testEnv, worker, options);

    WorkflowFailedException thrown =
        catchThrowableOfType(WorkflowFailedException.class, () -> workflow.deploy(REQUEST));

    // The deploy reports why it failed, not why one of its undo steps failed.
    assertThat(applicationFailureOf(thrown).getType()).isEqualTo(DeployFailureTypes.VERSION_CONFLICT);
    verify(activities, times(1)).removeVersion(REQUEST.deploymentId());
    // The version may still be recorded and point at the package: deleting it would leave a version
    // without code.
    verify(activities, never()).deletePackageIfUnreferenced(anyString(), anyString());
    ArgumentCaptor<String> reason = ArgumentCaptor.forClass(String.class);
    verify(activities).markDeployFailed(eq(REQUEST.deploymentId()), reason.capture());
    assertThat(reason.getValue())
        .contains(DeployFailureTypes.VERSION_CONFLICT)
        .contains(DeployFailureTypes.DEPLOYMENT_NOT_FOUND);
    verify(activities, never()).markDeploySucceeded(anyString());
  }
}

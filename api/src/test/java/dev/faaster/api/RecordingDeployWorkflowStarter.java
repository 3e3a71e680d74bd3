package dev.faaster.api;

import dev.faaster.api.versions.DeployFailedException;
import dev.faaster.api.versions.DeployWorkflowStarter;
import dev.faaster.packagestore.PackageKeys;
import dev.faaster.packagestore.PackageStore;
import dev.faaster.registry.Deployment;
import dev.faaster.registry.DeploymentRepository;
import dev.faaster.registry.DeploymentStatus;
import dev.faaster.registry.FunctionVersion;
import dev.faaster.registry.FunctionVersionRepository;
import dev.faaster.workflows.deploy.DeployRequest;
import dev.faaster.workflows.deploy.DeployResult;
import io.micronaut.context.annotation.Replaces;
import io.micronaut.context.annotation.Requires;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Stands in for Temporal: records every start and, when a test asks, finishes a deploy the way the
 * real workflow's success path does (package copied to its content-addressed key, version row
 * written, deployment SUCCEEDED), so aliases can point at really published versions.
 */
@Singleton
@Replaces(DeployWorkflowStarter.class)
@Requires(property = "spec.name", value = RecordingDeployWorkflowStarter.SPEC)
public class RecordingDeployWorkflowStarter implements DeployWorkflowStarter {

  /** The spec.name of the HTTP API tests, which all publish through this double. */
  public static final String SPEC = "api-http";

  /** One call of {@link #start}. */
  public record Start(String workflowId, DeployRequest request, String tenantName) {}

  private final DeploymentRepository deployments;
  private final FunctionVersionRepository versions;
  private final PackageStore store;
  private final Clock clock;
  private final List<Start> starts = new CopyOnWriteArrayList<>();
  private volatile boolean completeOnStart;

  public RecordingDeployWorkflowStarter(
      DeploymentRepository deployments, FunctionVersionRepository versions, PackageStore store, Clock clock) {
    this.deployments = deployments;
    this.versions = versions;
    this.store = store;
    this.clock = clock;
  }

  @Override
  public void start(String workflowId, DeployRequest request, String tenantName) {
    starts.add(new Start(workflowId, request, tenantName));
    if (completeOnStart) {
      complete(request);
    }
  }

  @Override
  public Optional<DeployResult> await(String workflowId, Duration timeout) {
    Start start = starts.stream().filter(s -> s.workflowId().equals(workflowId)).findFirst().orElse(null);
    if (start == null) {
      return Optional.empty();
    }
    Deployment deployment = deployments.findById(start.request().deploymentId()).orElse(null);
    if (deployment == null || deployment.status() == DeploymentStatus.PENDING) {
      return Optional.empty();
    }
    if (deployment.status() == DeploymentStatus.FAILED) {
      throw new DeployFailedException("the deploy failed", null);
    }
    return Optional.of(result(start.request()));
  }

  /** Finishes the deploy successfully, as the workflow would. */
  public DeployResult complete(DeployRequest request) {
    String packageKey = PackageKeys.contentAddressed(request.sha256());
    if (!store.exists(packageKey)) {
      store.copy(request.stagingKey(), packageKey);
    }
    Deployment d = deployments.findById(request.deploymentId()).orElseThrow();
    versions.save(
        new FunctionVersion(
            UUID.randomUUID().toString(),
            d.tenantId(),
            d.functionId(),
            d.id(),
            d.version(),
            d.codeSha256(),
            d.codeSizeBytes(),
            packageKey,
            d.runtime(),
            d.handler(),
            d.memoryMb(),
            d.timeoutSeconds(),
            d.environment(),
            d.vpcConfig(),
            d.description(),
            clock.instant()));
    if (deployments.finish(d.id(), DeploymentStatus.SUCCEEDED, null, clock.instant()) != 1) {
      throw new IllegalStateException("deployment " + d.id() + " was not PENDING");
    }
    return result(request);
  }

  /** Finishes the deploy started under {@code workflowId}. */
  public DeployResult complete(String workflowId) {
    return complete(
        starts.stream()
            .filter(s -> s.workflowId().equals(workflowId))
            .findFirst()
            .orElseThrow(() -> new IllegalStateException("no deploy was started as " + workflowId))
            .request());
  }

  private static DeployResult result(DeployRequest request) {
    return new DeployResult(
        request.deploymentId(), request.version(), PackageKeys.contentAddressed(request.sha256()), request.sha256(), request.sizeBytes(), false);
  }

  /** Whether {@link #start} finishes each deploy at once (a deploy that takes no time). */
  public void completeOnStart(boolean complete) {
    this.completeOnStart = complete;
  }

  public List<Start> starts() {
    return List.copyOf(starts);
  }

  public void reset() {
    starts.clear();
    completeOnStart = false;
  }
}

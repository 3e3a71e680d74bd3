package dev.faaster.api.versions;

import dev.faaster.api.error.ApiException;
import dev.faaster.api.error.ErrorCode;
import dev.faaster.api.functions.ConfigurationJson;
import dev.faaster.api.functions.FunctionRules;
import dev.faaster.api.functions.FunctionService;
import dev.faaster.registry.Deployment;
import dev.faaster.registry.DeploymentRepository;
import dev.faaster.registry.DeploymentStatus;
import dev.faaster.registry.FunctionRecord;
import dev.faaster.registry.FunctionRepository;
import dev.faaster.registry.FunctionVersion;
import dev.faaster.registry.FunctionVersionRepository;
import dev.faaster.registry.TenantRepository;
import dev.faaster.workflows.deploy.DeployRequest;
import dev.faaster.workflows.deploy.DeployWorkflowIds;
import io.micronaut.context.annotation.Value;
import io.micronaut.http.HttpStatus;
import io.micronaut.transaction.TransactionOperations;
import jakarta.inject.Singleton;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.time.Clock;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishing a version: reserve the number and record the deployment in one transaction, then start
 * the deploy workflow. Publishing unchanged code and configuration again returns the deploy that
 * already has them (as Lambda's PublishVersion does), so a retried request never makes a second one.
 */
@Singleton
public class PublishService {

  private static final Logger log = LoggerFactory.getLogger(PublishService.class);

  private final FunctionService functionService;
  private final FunctionRepository functions;
  private final DeploymentRepository deployments;
  private final FunctionVersionRepository versions;
  private final TenantRepository tenants;
  private final DeployWorkflowStarter starter;
  private final TransactionOperations<Connection> transactions;
  private final ConfigurationJson json;
  private final Clock clock;
  private final String temporalUi;
  private final String namespace;

  public PublishService(
      FunctionService functionService,
      FunctionRepository functions,
      DeploymentRepository deployments,
      FunctionVersionRepository versions,
      TenantRepository tenants,
      DeployWorkflowStarter starter,
      TransactionOperations<Connection> transactions,
      ConfigurationJson json,
      Clock clock,
      @Value("${faaster.temporal.ui-url}") String temporalUi,
      @Value("${faaster.temporal.namespace}") String namespace) {
    this.functionService = functionService;
    this.functions = functions;
    this.deployments = deployments;
    this.versions = versions;
    this.tenants = tenants;
    this.starter = starter;
    this.transactions = transactions;
    this.json = json;
    this.clock = clock;
    this.temporalUi = temporalUi;
    this.namespace = namespace;
  }

  /** Returns the deployment of this publish (new, or the earlier one with identical content). */
  public Deployment publish(String tenantId, String name, PublishCommand command) {
    FunctionRecord function = functionService.require(tenantId, name);
    if (!function.hasCode()) {
      throw new ApiException(HttpStatus.CONFLICT, ErrorCode.NO_CODE, "'" + name + "' has no code to publish; upload a zip first.");
    }
    String description = FunctionRules.description(command == null ? null : command.description());
    Optional<Deployment> same = deployments.findFirstByFunctionIdOrderByVersionDesc(function.id()).filter(d -> sameContent(d, function));
    if (same.isPresent()) {
      return same.get();
    }
    Deployment deployment =
        transactions.executeWrite(
            status -> {
              if (functions.reserveVersion(function.id(), function.revision(), clock.instant()) == 0) {
                throw ApiException.conflict(
                    ErrorCode.CONCURRENT_MODIFICATION, "'" + name + "' was changed by another request at the same time; retry.");
              }
              int version = function.nextVersion();
              var now = clock.instant();
              return deployments.save(
                  new Deployment(
                      UUID.randomUUID().toString(),
                      tenantId,
                      function.id(),
                      function.name(),
                      version,
                      DeployWorkflowIds.of(tenantId, function.id(), version),
                      DeploymentStatus.PENDING,
                      function.codeSha256(),
                      function.codeSizeBytes(),
                      function.codeStagingKey(),
                      function.runtime(),
                      function.handler(),
                      function.memoryMb(),
                      function.timeoutSeconds(),
                      function.environment(),
                      function.vpcConfig(),
                      description,
                      null,
                      now,
                      now));
            });
    String tenantName = tenants.findById(tenantId).map(t -> t.name()).orElse(tenantId);
    try {
      starter.start(deployment.workflowId(), requestOf(deployment), tenantName);
    } catch (DeployNotStartedException e) {
      // Nothing ran: forget the deployment so the refused request leaves no row behind.
      deployments.deleteById(deployment.id());
      log.warn("could not start deploy {}: {}", deployment.workflowId(), e.getMessage());
      throw new ApiException(
          HttpStatus.SERVICE_UNAVAILABLE, ErrorCode.SERVICE_UNAVAILABLE, "The workflow service is unavailable; retry the publish.");
    }
    log.info("started deploy {} of {} version {}", deployment.workflowId(), name, deployment.version());
    return deployment;
  }

  /** A deploy that hasn't failed and has exactly the function's current code and configuration. */
  private static boolean sameContent(Deployment d, FunctionRecord f) {
    return d.status() != DeploymentStatus.FAILED
        && d.codeSha256().equals(f.codeSha256())
        && d.runtime().equals(f.runtime())
        && Objects.equals(d.handler(), f.handler())
        && d.memoryMb() == f.memoryMb()
        && d.timeoutSeconds() == f.timeoutSeconds()
        && d.environment().equals(f.environment())
        && d.vpcConfig().equals(f.vpcConfig());
  }

  static DeployRequest requestOf(Deployment d) {
    return new DeployRequest(
        d.id(), d.tenantId(), d.functionId(), d.functionName(), d.version(), d.stagingKey(), d.codeSha256(), d.codeSizeBytes());
  }

  public Deployment deployment(String tenantId, String name, int version) {
    FunctionRecord function = functionService.require(tenantId, name);
    return deployments
        .findByFunctionIdAndVersion(function.id(), version)
        .orElseThrow(() -> ApiException.notFound("No deploy of version " + version + " of '" + name + "'."));
  }

  public Deployment reload(Deployment deployment) {
    return deployments.findById(deployment.id()).orElse(deployment);
  }

  public FunctionVersion version(String tenantId, String name, int version) {
    FunctionRecord function = functionService.require(tenantId, name);
    return versions
        .findByFunctionIdAndVersion(function.id(), version)
        .orElseThrow(() -> ApiException.notFound("'" + name + "' has no version " + version + "."));
  }

  public List<FunctionVersion> versions(String tenantId, String name) {
    return versions.findByFunctionIdOrderByVersion(functionService.require(tenantId, name).id());
  }

  public DeploymentView view(Deployment d) {
    String statusUrl = "/v1/functions/" + d.functionName() + "/deployments/" + d.version();
    String workflowUrl =
        temporalUi + "/namespaces/" + namespace + "/workflows/" + URLEncoder.encode(d.workflowId(), StandardCharsets.UTF_8);
    return new DeploymentView(
        d.id(),
        d.functionName(),
        d.version(),
        d.status().name(),
        d.codeSha256(),
        d.failureReason(),
        d.workflowId(),
        statusUrl,
        workflowUrl,
        d.createdAt(),
        d.updatedAt());
  }

  public VersionView view(FunctionVersion v) {
    return new VersionView(
        v.version(),
        v.codeSha256(),
        v.codeSizeBytes(),
        v.runtime(),
        v.handler(),
        v.memoryMb(),
        v.timeoutSeconds(),
        json.environment(v.environment()),
        json.vpc(v.vpcConfig()),
        v.description(),
        v.createdAt());
  }
}

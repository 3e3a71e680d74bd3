package dev.faaster.api.versions;

import dev.faaster.api.ApiRole;
import dev.faaster.api.auth.Caller;
import dev.faaster.api.code.CodeService;
import dev.faaster.api.error.ApiException;
import dev.faaster.api.error.ErrorCode;
import dev.faaster.registry.Deployment;
import dev.faaster.registry.DeploymentStatus;
import dev.faaster.registry.FunctionVersion;
import io.micronaut.context.annotation.Requires;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.Post;
import io.micronaut.http.annotation.QueryValue;
import io.micronaut.http.server.types.files.StreamedFile;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.net.URI;
import java.time.Duration;
import java.util.List;

/** Publishing versions (each publish is a durable deploy workflow) and reading them back. */
@Controller("/v1/functions/{name}")
@ExecuteOn(TaskExecutors.BLOCKING)
@Requires(property = "faaster.roles", pattern = ApiRole.PATTERN)
@Tag(name = "versions")
public class VersionController {

  /** How long ?wait=true holds the request before answering 202 anyway. */
  static final Duration MAX_WAIT = Duration.ofSeconds(60);

  private final PublishService publisher;
  private final DeployWorkflowStarter starter;
  private final CodeService code;

  public VersionController(PublishService publisher, DeployWorkflowStarter starter, CodeService code) {
    this.publisher = publisher;
    this.starter = starter;
    this.code = code;
  }

  @Operation(
      summary = "Publish $LATEST as a new immutable version",
      description =
          "Starts a deploy workflow and answers 202 with its status URL; with wait=true, answers 201 with the"
              + " version once deployed (or 202 if it takes longer than a minute, 422 if it failed).")
  @Post("/versions")
  public HttpResponse<?> publish(
      Caller caller, String name, @Nullable @Body PublishCommand command, @Nullable @QueryValue Boolean wait) {
    Deployment deployment = publisher.publish(caller.tenant(), name, command);
    DeploymentView view = publisher.view(deployment);
    if (wait == null || !wait || deployment.status() == DeploymentStatus.SUCCEEDED) {
      return finished(caller, name, deployment, view);
    }
    try {
      if (starter.await(deployment.workflowId(), MAX_WAIT).isEmpty()) {
        return HttpResponse.accepted(URI.create(view.statusUrl())).body(view);
      }
    } catch (DeployFailedException e) {
      Deployment failed = publisher.reload(deployment);
      throw new ApiException(
          HttpStatus.UNPROCESSABLE_ENTITY,
          ErrorCode.DEPLOY_FAILED,
          "Deploying version " + deployment.version() + " failed: " + failed.failureReason());
    }
    return finished(caller, name, publisher.reload(deployment), view);
  }

  private HttpResponse<?> finished(Caller caller, String name, Deployment deployment, DeploymentView view) {
    if (deployment.status() == DeploymentStatus.SUCCEEDED) {
      FunctionVersion version = publisher.version(caller.tenant(), name, deployment.version());
      return HttpResponse.created(publisher.view(version), URI.create("/v1/functions/" + name + "/versions/" + version.version()));
    }
    return HttpResponse.accepted(URI.create(view.statusUrl())).body(publisher.view(deployment));
  }

  @Operation(summary = "List published versions")
  @Get("/versions")
  public List<VersionView> list(Caller caller, String name) {
    return publisher.versions(caller.tenant(), name).stream().map(publisher::view).toList();
  }

  @Operation(summary = "Get a published version")
  @Get("/versions/{version}")
  public VersionView get(Caller caller, String name, int version) {
    return publisher.view(publisher.version(caller.tenant(), name, version));
  }

  @Operation(summary = "Download a published version's code package")
  @Get(value = "/versions/{version}/code", produces = "application/zip")
  public StreamedFile download(Caller caller, String name, int version) {
    FunctionVersion v = publisher.version(caller.tenant(), name, version);
    return new StreamedFile(code.open(v.packageKey()), MediaType.of("application/zip")).attach(name + "-" + version + ".zip");
  }

  @Operation(summary = "Status of the deploy of a version")
  @Get("/deployments/{version}")
  public DeploymentView deployment(Caller caller, String name, int version) {
    return publisher.view(publisher.deployment(caller.tenant(), name, version));
  }
}

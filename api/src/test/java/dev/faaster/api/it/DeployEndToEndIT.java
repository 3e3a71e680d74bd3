package dev.faaster.api.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.faaster.api.error.ApiError;
import dev.faaster.api.functions.CodeView;
import dev.faaster.api.functions.ConfigurationJson;
import dev.faaster.api.functions.CreateFunctionCommand;
import dev.faaster.api.functions.VpcConfig;
import dev.faaster.api.versions.DeploymentView;
import dev.faaster.api.versions.VersionView;
import dev.faaster.packagestore.StoredObject;
import dev.faaster.registry.FunctionRecord;
import dev.faaster.registry.FunctionRepository;
import dev.faaster.registry.FunctionVersion;
import dev.faaster.registry.FunctionVersionRepository;
import dev.faaster.workflows.SearchAttributeKeys;
import io.micronaut.core.type.Argument;
import io.temporal.api.enums.v1.EventType;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowExecutionDescription;
import io.temporal.client.WorkflowNotFoundException;
import io.temporal.common.SearchAttributes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A deploy from the outside: HTTP API, a real Temporal, the worker in the same process, the
 * embedded S3 store and an H2 file database. What a user sees (status codes, the version, its code)
 * and what the platform left behind (objects, rows, the workflow's history) must agree.
 *
 * <p>The tests share one platform (one start, about half the class's time) and one tenant; each uses
 * its own function and unique code, and compares packages/ before and after its own publish, so
 * their order doesn't matter. They must not run concurrently with each other or with another
 * faaster worker on the same Temporal namespace: the control task queue has a fixed name.
 */
@ExtendWith(StackRequired.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DeployEndToEndIT {

  static final List<String> DEPLOY_STEPS =
      List.of("VerifyPackage", "StorePackage", "RecordVersion", "WarmZoneCache", "MarkDeploySucceeded");

  private Platform platform;
  private TestTenant tenant;

  @BeforeAll
  void startPlatform() {
    platform = Platform.start(DeployEndToEndIT.class, "api,worker");
    tenant = platform.createTenant("it-e2e");
  }

  @AfterAll
  void stopPlatform() {
    if (platform != null) {
      platform.close();
    }
  }

  @Test
  void publishWithWaitDeploysVersionOneThroughTheWorkflow() {
    String name = "hello";
    byte[] zip = CodePackages.bootstrap("hello");
    String digest = CodePackages.sha256(zip);
    createFunction(name);
    upload(name, zip, digest);
    List<String> packagesBefore = platform.publishedPackages();

    HttpResponse<byte[]> published = platform.post("/v1/functions/" + name + "/versions?wait=true", tenant.token(), null);

    assertThat(published.statusCode()).as(Platform.show(published)).isEqualTo(201);
    assertThat(published.headers().firstValue("Location")).hasValue("/v1/functions/" + name + "/versions/1");
    VersionView version = platform.read(published, VersionView.class);
    assertThat(version.version()).isEqualTo(1);
    assertThat(version.sha256()).isEqualTo(digest);
    assertThat(version.sizeBytes()).isEqualTo(zip.length);

    DeploymentView deployment = deployment(name, 1);
    assertThat(deployment.status()).as("deployment %s", deployment).isEqualTo("SUCCEEDED");
    assertThat(deployment.failureReason()).isNull();
    assertThat(deployment.sha256()).isEqualTo(digest);
    assertThat(deployment.workflowId()).startsWith("deploy/" + tenant.id() + "/").endsWith("/1");

    String packageKey = Platform.PACKAGES + digest + ".zip";
    List<String> added = new ArrayList<>(platform.publishedPackages());
    added.removeAll(packagesBefore);
    assertThat(added).as("objects this deploy added under %s", Platform.PACKAGES).containsExactly(packageKey);
    StoredObject stored = platform.store().head(packageKey).orElseThrow();
    assertThat(stored.sha256()).as("digest metadata of %s", packageKey).isEqualTo(digest);
    assertThat(stored.sizeBytes()).isEqualTo(zip.length);

    HttpResponse<byte[]> code = platform.get("/v1/functions/" + name + "/versions/1/code", tenant.token());
    assertThat(code.statusCode()).as(Platform.show(code)).isEqualTo(200);
    assertThat(code.body()).as("downloaded code of version 1").isEqualTo(zip);

    WorkflowClient client = platform.workflowClient();
    DeployHistory history = DeployHistory.fetch(client, deployment.workflowId());
    assertThat(history.scheduled()).as(history.summary()).containsExactlyElementsOf(DEPLOY_STEPS);
    assertThat(history.completed()).as(history.summary()).containsExactlyElementsOf(DEPLOY_STEPS);
    assertThat(history.last()).hasValue(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED);

    WorkflowExecutionDescription described = client.newUntypedWorkflowStub(deployment.workflowId()).describe();
    assertThat(described.getStatus()).isEqualTo(WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED);
    SearchAttributes attributes = described.getTypedSearchAttributes();
    assertThat(attributes.get(SearchAttributeKeys.TENANT)).isEqualTo(tenant.name());
    assertThat(attributes.get(SearchAttributeKeys.FUNCTION)).isEqualTo(name);
    assertThat(attributes.get(SearchAttributeKeys.VERSION)).isEqualTo(1L);
  }

  @Test
  void republishingUnchangedCodeReturnsTheSameVersionAndStartsNoWorkflow() {
    String name = "unchanged";
    byte[] zip = CodePackages.bootstrap("unchanged");
    createFunction(name);
    upload(name, zip, CodePackages.sha256(zip));
    HttpResponse<byte[]> first = platform.post("/v1/functions/" + name + "/versions?wait=true", tenant.token(), null);
    assertThat(first.statusCode()).as(Platform.show(first)).isEqualTo(201);
    String workflowId = deployment(name, 1).workflowId();
    WorkflowClient client = platform.workflowClient();
    long historyLength = client.newUntypedWorkflowStub(workflowId).describe().getHistoryLength();

    HttpResponse<byte[]> again = platform.post("/v1/functions/" + name + "/versions?wait=true", tenant.token(), null);

    assertThat(again.statusCode()).as(Platform.show(again)).isEqualTo(201);
    assertThat(platform.read(again, VersionView.class).version()).isEqualTo(1);
    HttpResponse<byte[]> versions = platform.get("/v1/functions/" + name + "/versions", tenant.token());
    assertThat(platform.read(versions, Argument.listOf(VersionView.class))).extracting(VersionView::version).containsExactly(1);
    HttpResponse<byte[]> second = platform.get("/v1/functions/" + name + "/deployments/2", tenant.token());
    assertThat(second.statusCode()).as(Platform.show(second)).isEqualTo(404);

    String secondWorkflowId = workflowId.substring(0, workflowId.lastIndexOf('/') + 1) + "2";
    assertThatThrownBy(() -> client.newUntypedWorkflowStub(secondWorkflowId).describe())
        .as("a workflow %s", secondWorkflowId)
        .isInstanceOf(WorkflowNotFoundException.class);
    assertThat(client.newUntypedWorkflowStub(workflowId).describe().getHistoryLength())
        .as("events in %s after the republish", workflowId)
        .isEqualTo(historyLength);
    String query = "FaasterTenant = '" + tenant.name() + "' AND FaasterFunction = '" + name + "'";
    List<String> deploys =
        Poll.until(
            "the visibility store to list the deploy of " + name,
            Duration.ofSeconds(30),
            () -> {
              List<String> ids =
                  client.listExecutions(query).map(execution -> execution.getExecution().getWorkflowId()).toList();
              return ids.isEmpty() ? Optional.empty() : Optional.of(ids);
            });
    assertThat(deploys).as("workflows matching %s", query).containsExactly(workflowId);
  }

  /**
   * The worker re-hashes the staged object before anything is stored, so a changed object stops the
   * deploy at VerifyPackage: nothing reaches packages/ and the saga has nothing to undo yet (the
   * undo itself is {@link #versionConflictAfterTheStoreUndoesTheStoredPackage}).
   */
  @Test
  void tamperedStagedPackageFailsTheDeployWithDigestMismatchAndLeavesNothingBehind() throws IOException {
    String name = "tampered";
    byte[] zip = CodePackages.bootstrap("tampered");
    String digest = CodePackages.sha256(zip);
    createFunction(name);
    upload(name, zip, digest);
    List<String> staged =
        platform.store().list("staging/" + tenant.id() + "/").stream().filter(key -> key.endsWith("/" + digest + ".zip")).toList();
    assertThat(staged).as("staged objects of %s", name).hasSize(1);
    String stagingKey = staged.get(0);
    byte[] tampered = CodePackages.flipOneByte(zip);
    overwrite(stagingKey, tampered, digest);
    assertThat(platform.store().open(stagingKey).orElseThrow().readAllBytes()).as("staged bytes after tampering").isEqualTo(tampered);
    List<String> packagesBefore = platform.publishedPackages();

    HttpResponse<byte[]> published = platform.post("/v1/functions/" + name + "/versions?wait=true", tenant.token(), null);

    assertThat(published.statusCode()).as(Platform.show(published)).isEqualTo(422);
    ApiError error = platform.read(published, ApiError.class);
    assertThat(error.error().code()).isEqualTo("DEPLOY_FAILED");
    assertThat(error.error().message()).contains("PackageDigestMismatch");
    DeploymentView deployment = deployment(name, 1);
    assertThat(deployment.status()).as("deployment %s", deployment).isEqualTo("FAILED");
    assertThat(deployment.failureReason()).contains("PackageDigestMismatch");

    assertThat(platform.publishedPackages()).as("objects under %s after the failed deploy", Platform.PACKAGES).isEqualTo(packagesBefore);
    assertThat(platform.store().exists(Platform.PACKAGES + digest + ".zip")).isFalse();
    assertThat(platform.store().exists(Platform.PACKAGES + CodePackages.sha256(tampered) + ".zip")).isFalse();
    assertThat(platform.bean(FunctionVersionRepository.class).findByDeploymentId(deployment.deploymentId())).isEmpty();
    HttpResponse<byte[]> versions = platform.get("/v1/functions/" + name + "/versions", tenant.token());
    assertThat(platform.read(versions, Argument.listOf(VersionView.class))).isEmpty();
    HttpResponse<byte[]> version = platform.get("/v1/functions/" + name + "/versions/1", tenant.token());
    assertThat(version.statusCode()).as(Platform.show(version)).isEqualTo(404);

    WorkflowClient client = platform.workflowClient();
    DeployHistory history = DeployHistory.fetch(client, deployment.workflowId());
    assertThat(history.scheduled()).as(history.summary()).containsExactly("VerifyPackage", "MarkDeployFailed");
    assertThat(history.last()).hasValue(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED);
  }

  /** A permanent failure after StorePackage: the compensations run, newest first, and delete the stored object. */
  @Test
  void versionConflictAfterTheStoreUndoesTheStoredPackage() {
    String name = "conflicted";
    byte[] zip = CodePackages.bootstrap("conflicted");
    String digest = CodePackages.sha256(zip);
    createFunction(name);
    upload(name, zip, digest);
    // Version 1 already belongs to another deployment: RecordVersion fails for good after StorePackage.
    FunctionRecord function = platform.bean(FunctionRepository.class).findByTenantIdAndName(tenant.id(), name).orElseThrow();
    FunctionVersionRepository versions = platform.bean(FunctionVersionRepository.class);
    FunctionVersion squatter = versions.save(squatter(function, 1));
    List<String> packagesBefore = platform.publishedPackages();

    HttpResponse<byte[]> published = platform.post("/v1/functions/" + name + "/versions?wait=true", tenant.token(), null);

    assertThat(published.statusCode()).as(Platform.show(published)).isEqualTo(422);
    assertThat(platform.read(published, ApiError.class).error().message()).contains("VersionConflict");
    DeploymentView deployment = deployment(name, 1);
    assertThat(deployment.status()).as("deployment %s", deployment).isEqualTo("FAILED");
    assertThat(deployment.failureReason()).contains("VersionConflict").doesNotContain("undo incomplete");

    DeployHistory history = DeployHistory.fetch(platform.workflowClient(), deployment.workflowId());
    assertThat(history.completed())
        .as(history.summary())
        .containsExactly("VerifyPackage", "StorePackage", "RemoveVersion", "DeletePackageIfUnreferenced", "MarkDeployFailed");
    assertThat(history.results("StorePackage")).as("StorePackage wrote the object").singleElement().asString().contains("\"created\":true");
    assertThat(platform.publishedPackages()).as("objects under %s after the undo", Platform.PACKAGES).isEqualTo(packagesBefore);
    assertThat(platform.store().exists(Platform.PACKAGES + digest + ".zip")).isFalse();
    assertThat(versions.findByFunctionId(function.id()))
        .as("the undo removes this deploy's version only")
        .extracting(FunctionVersion::id)
        .containsExactly(squatter.id());
  }

  /** A version row of another (made-up) deployment, with other code, holding {@code version}. */
  private FunctionVersion squatter(FunctionRecord function, int version) {
    String otherDigest = CodePackages.sha256(CodePackages.bootstrap("someone else"));
    ConfigurationJson json = platform.bean(ConfigurationJson.class);
    return new FunctionVersion(
        UUID.randomUUID().toString(),
        function.tenantId(),
        function.id(),
        UUID.randomUUID().toString(),
        version,
        otherDigest,
        1,
        Platform.PACKAGES + otherDigest + ".zip",
        function.runtime(),
        function.handler(),
        function.memoryMb(),
        function.timeoutSeconds(),
        json.environment(Map.of()),
        json.vpc(VpcConfig.NONE),
        "squatter",
        Instant.now());
  }

  private void createFunction(String name) {
    HttpResponse<byte[]> created =
        platform.post(
            "/v1/functions", tenant.token(), new CreateFunctionCommand(name, "provided", null, null, null, null, null, null, null));
    assertThat(created.statusCode()).as(Platform.show(created)).isEqualTo(201);
  }

  private void upload(String name, byte[] zip, String digest) {
    HttpResponse<byte[]> uploaded = platform.put("/v1/functions/" + name + "/code", tenant.token(), "application/zip", zip);
    assertThat(uploaded.statusCode()).as(Platform.show(uploaded)).isEqualTo(200);
    assertThat(platform.read(uploaded, CodeView.class)).isEqualTo(new CodeView(digest, zip.length));
  }

  private DeploymentView deployment(String name, int version) {
    HttpResponse<byte[]> response = platform.get("/v1/functions/" + name + "/deployments/" + version, tenant.token());
    assertThat(response.statusCode()).as(Platform.show(response)).isEqualTo(200);
    DeploymentView view = platform.read(response, DeploymentView.class);
    assertThat(view.statusUrl()).as("the deployment's status URL").isEqualTo(response.uri().getPath());
    return view;
  }

  /** Replaces the object's bytes, keeping the digest it claims in its metadata. */
  private void overwrite(String key, byte[] bytes, String claimedDigest) {
    try {
      Path file = Files.createTempFile(platform.root(), "tampered-", ".zip");
      Files.write(file, bytes);
      platform.store().putFile(key, file, claimedDigest);
      Files.delete(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}

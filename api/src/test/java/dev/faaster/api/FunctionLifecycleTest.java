package dev.faaster.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.faaster.api.RecordingDeployWorkflowStarter.Start;
import dev.faaster.api.TestApi.TenantAccess;
import dev.faaster.api.aliases.AliasView;
import dev.faaster.api.aliases.RoutingEntry;
import dev.faaster.api.functions.CodeView;
import dev.faaster.api.functions.FunctionPage;
import dev.faaster.api.functions.FunctionView;
import dev.faaster.api.functions.VpcConfig;
import dev.faaster.api.versions.DeploymentView;
import dev.faaster.api.versions.VersionView;
import dev.faaster.packagestore.ObjectStoreEndpoint;
import dev.faaster.packagestore.PackageKeys;
import dev.faaster.packagestore.PackageStore;
import dev.faaster.registry.AliasRepository;
import dev.faaster.registry.DeploymentRepository;
import dev.faaster.registry.DeploymentStatus;
import dev.faaster.registry.FunctionRecord;
import dev.faaster.registry.FunctionRepository;
import dev.faaster.registry.FunctionVersionRepository;
import io.micronaut.context.annotation.Property;
import io.micronaut.core.type.Argument;
import io.micronaut.http.HttpHeaders;
import io.micronaut.http.client.HttpClient;
import io.micronaut.http.client.annotation.Client;
import io.micronaut.json.JsonMapper;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import jakarta.inject.Inject;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The happy paths of a function's life, through the real HTTP stack, each in a fresh tenant. */
@MicronautTest(transactional = false)
@Property(name = "spec.name", value = RecordingDeployWorkflowStarter.SPEC)
class FunctionLifecycleTest {

  @Inject @Client("/") HttpClient client;
  @Inject JsonMapper json;
  @Inject RecordingDeployWorkflowStarter deploys;
  @Inject FunctionRepository functions;
  @Inject DeploymentRepository deployments;
  @Inject FunctionVersionRepository versions;
  @Inject AliasRepository aliases;
  @Inject PackageStore store;
  @Inject ObjectStoreEndpoint endpoint;

  TestApi api;
  TenantAccess tenant;
  String token;

  @BeforeEach
  void freshTenant() {
    deploys.reset();
    api = new TestApi(client, json);
    tenant = api.newTenant("lifecycle");
    token = tenant.token();
  }

  @Test
  void createAnswers201WithLocationAndDefaults() {
    Reply created = api.post(token, "/v1/functions", Map.of("name", "hello", "runtime", "provided"));

    assertThat(created.status()).as("%s", created).isEqualTo(201);
    assertThat(created.header(HttpHeaders.LOCATION)).isEqualTo("/v1/functions/hello");
    FunctionView view = created.as(FunctionView.class);
    assertThat(view.name()).isEqualTo("hello");
    assertThat(view.memoryMb()).isEqualTo(128);
    assertThat(view.timeoutSeconds()).isEqualTo(3);
    assertThat(view.environment()).isEmpty();
    assertThat(view.vpcConfig()).isEqualTo(VpcConfig.NONE);
    assertThat(view.code()).isNull();
    FunctionView read = api.get(token, created.header(HttpHeaders.LOCATION)).as(FunctionView.class);
    assertThat(read).usingRecursiveComparison().ignoringFields("createdAt", "updatedAt").isEqualTo(view);
    // The registry stores milliseconds (rounded); the create response carries the clock's full precision.
    assertThat(read.createdAt()).isCloseTo(view.createdAt(), within(1, ChronoUnit.MILLIS));
  }

  @Test
  void listingPagesThroughSevenFunctionsThreeAtATime() {
    List<String> names = new ArrayList<>(List.of("fn-c", "fn-a", "fn-g", "fn-e", "fn-b", "fn-f", "fn-d"));
    Collections.shuffle(names, new Random(7));
    names.forEach(name -> api.createFunction(token, name));

    List<FunctionPage> pages = new ArrayList<>();
    List<String> seen = new ArrayList<>();
    String cursor = null;
    do {
      Reply reply = api.get(token, "/v1/functions?limit=3" + (cursor == null ? "" : "&cursor=" + cursor));
      assertThat(reply.status()).as("%s", reply).isEqualTo(200);
      FunctionPage page = reply.as(FunctionPage.class);
      pages.add(page);
      page.functions().forEach(f -> seen.add(f.name()));
      if (page.nextCursor() != null) {
        assertThat(page.nextCursor()).as("cursor is the page's last name").isEqualTo(page.functions().get(page.functions().size() - 1).name());
      }
      cursor = page.nextCursor();
    } while (cursor != null && pages.size() < 10);

    assertThat(pages).extracting(p -> p.functions().size()).containsExactly(3, 3, 1);
    assertThat(pages.get(2).nextCursor()).isNull();
    assertThat(seen).doesNotHaveDuplicates().containsExactly("fn-a", "fn-b", "fn-c", "fn-d", "fn-e", "fn-f", "fn-g");
  }

  @Test
  void patchChangesOnlyTheGivenFields() {
    Map<String, Object> body = new LinkedHashMap<>(TestApi.functionBody("configured"));
    body.put("runtime", "python3");
    body.put("handler", "app.main");
    body.put("memoryMb", 512);
    body.put("timeoutSeconds", 10);
    body.put("environment", Map.of("STAGE", "test", "LEVEL", "debug"));
    body.put("vpcConfig", Map.of("subnetIds", List.of("subnet-1"), "securityGroupIds", List.of("sg-1")));
    body.put("description", "before");
    FunctionView created = api.createFunction(token, body);

    Reply patched = api.patch(token, "/v1/functions/configured", Map.of("timeoutSeconds", 30));

    assertThat(patched.status()).as("%s", patched).isEqualTo(200);
    FunctionView view = patched.as(FunctionView.class);
    assertThat(view.timeoutSeconds()).isEqualTo(30);
    assertThat(view)
        .usingRecursiveComparison()
        .ignoringFields("timeoutSeconds", "createdAt", "updatedAt")
        .isEqualTo(created);
    assertThat(view.createdAt()).isCloseTo(created.createdAt(), within(1, ChronoUnit.MILLIS));
    assertThat(view.updatedAt()).isAfterOrEqualTo(created.updatedAt().truncatedTo(ChronoUnit.MILLIS));
    assertThat(api.get(token, "/v1/functions/configured").as(FunctionView.class)).isEqualTo(view);
  }

  @Test
  void patchReplacesTheEnvironmentWhole() {
    Map<String, Object> body = new LinkedHashMap<>(TestApi.functionBody("env"));
    body.put("environment", Map.of("A", "1", "B", "2"));
    api.createFunction(token, body);

    FunctionView view = api.patch(token, "/v1/functions/env", Map.of("environment", Map.of("C", "3"))).as(FunctionView.class);

    assertThat(view.environment()).containsExactly(Map.entry("C", "3"));
  }

  @Test
  void uploadAnswersTheSha256OfTheBytesAndReplacesTheStagedObject() {
    api.createFunction(token, "coded");
    String functionId = functions.findByTenantIdAndName(tenant.id(), "coded").orElseThrow().id();
    byte[] first = Zips.valid();
    byte[] second = Zips.valid();

    CodeView one = api.uploadCode(token, "coded", first);

    assertThat(one.sha256()).isEqualTo(Zips.sha256(first));
    assertThat(one.sizeBytes()).isEqualTo(first.length);
    String firstKey = PackageKeys.staging(tenant.id(), functionId, one.sha256());
    assertThat(store.list("staging/" + tenant.id() + "/")).containsExactly(firstKey);

    CodeView two = api.uploadCode(token, "coded", second);

    assertThat(two.sha256()).isEqualTo(Zips.sha256(second)).isNotEqualTo(one.sha256());
    assertThat(store.list("staging/" + tenant.id() + "/"))
        .as("the first upload's object is gone")
        .containsExactly(PackageKeys.staging(tenant.id(), functionId, two.sha256()));
    assertThat(api.get(token, "/v1/functions/coded").as(FunctionView.class).code()).isEqualTo(two);
  }

  @Test
  void downloadReturnsTheUploadedBytes() {
    api.createFunction(token, "roundtrip");
    byte[] zip = Zips.valid();
    api.uploadCode(token, "roundtrip", zip);

    Reply download = api.get(token, "/v1/functions/roundtrip/code");

    assertThat(download.status()).isEqualTo(200);
    assertThat(download.header(HttpHeaders.CONTENT_TYPE)).startsWith(TestApi.ZIP);
    assertThat(download.body()).isEqualTo(zip);
  }

  @Test
  void publishStartsOneDeployAndAnswers202WithItsStatusUrl() {
    api.createFunction(token, "pub");
    CodeView code = api.uploadCode(token, "pub", Zips.valid());

    Reply published = api.post(token, "/v1/functions/pub/versions", Map.of("description", "first"));

    assertThat(published.status()).as("%s", published).isEqualTo(202);
    DeploymentView deployment = published.as(DeploymentView.class);
    assertThat(deployment.version()).isEqualTo(1);
    assertThat(deployment.status()).isEqualTo("PENDING");
    assertThat(deployment.sha256()).isEqualTo(code.sha256());
    assertThat(deployment.statusUrl()).isEqualTo("/v1/functions/pub/deployments/1");
    assertThat(published.header(HttpHeaders.LOCATION)).isEqualTo(deployment.statusUrl());
    assertThat(deploys.starts()).hasSize(1);
    Start start = deploys.starts().get(0);
    assertThat(start.workflowId()).isEqualTo(deployment.workflowId());
    assertThat(start.tenantName()).isEqualTo(tenant.name());
    assertThat(start.request().sha256()).isEqualTo(code.sha256());
    assertThat(start.request().version()).isEqualTo(1);

    Reply status = api.get(token, deployment.statusUrl());
    assertThat(status.status()).isEqualTo(200);
    assertThat(status.as(DeploymentView.class).deploymentId()).isEqualTo(deployment.deploymentId());
  }

  @Test
  void publishingUnchangedCodeAgainReturnsTheSameDeployment() {
    api.createFunction(token, "idem");
    api.uploadCode(token, "idem", Zips.valid());
    DeploymentView first = api.publish(token, "idem");

    DeploymentView again = api.publish(token, "idem");

    assertThat(again.deploymentId()).isEqualTo(first.deploymentId());
    assertThat(again.version()).isEqualTo(1);
    assertThat(deploys.starts()).as("no second deploy").hasSize(1);
  }

  @Test
  void completedDeployIsAPublishedVersionWithTheSameCode() {
    api.createFunction(token, "done");
    byte[] zip = Zips.valid();
    api.uploadCode(token, "done", zip);
    DeploymentView deployment = api.publish(token, "done");

    deploys.complete(deployment.workflowId());

    assertThat(api.get(token, deployment.statusUrl()).as(DeploymentView.class).status()).isEqualTo("SUCCEEDED");
    List<VersionView> list = api.get(token, "/v1/functions/done/versions").as(Argument.listOf(VersionView.class));
    assertThat(list).extracting(VersionView::version).containsExactly(1);
    assertThat(api.get(token, "/v1/functions/done/versions/1").as(VersionView.class).sha256()).isEqualTo(Zips.sha256(zip));
    assertThat(api.get(token, "/v1/functions/done/versions/1/code").body()).isEqualTo(zip);
    // Republishing what is already published answers the version itself, without a new deploy.
    Reply republished = api.post(token, "/v1/functions/done/versions", Map.of());
    assertThat(republished.status()).as("%s", republished).isEqualTo(201);
    assertThat(republished.as(VersionView.class).version()).isEqualTo(1);
    assertThat(deploys.starts()).hasSize(1);
  }

  @Test
  void publishWithWaitAnswersTheVersionOnceDeployed() {
    api.createFunction(token, "waited");
    api.uploadCode(token, "waited", Zips.valid());
    deploys.completeOnStart(true);

    Reply published = api.post(token, "/v1/functions/waited/versions?wait=true", Map.of());

    assertThat(published.status()).as("%s", published).isEqualTo(201);
    assertThat(published.header(HttpHeaders.LOCATION)).isEqualTo("/v1/functions/waited/versions/1");
    assertThat(published.as(VersionView.class).version()).isEqualTo(1);
  }

  @Test
  void aliasIsCreatedSplitReadAndDeleted() {
    api.createFunction(token, "aliased");
    api.uploadCode(token, "aliased", Zips.valid());
    deploys.completeOnStart(true);
    api.publish(token, "aliased");
    api.patch(token, "/v1/functions/aliased", Map.of("memoryMb", 256));
    DeploymentView v2 = api.publish(token, "aliased");
    assertThat(v2.version()).isEqualTo(2);

    Reply created = api.post(token, "/v1/functions/aliased/aliases", Map.of("name", "live", "version", 1));
    assertThat(created.status()).as("%s", created).isEqualTo(201);
    assertThat(created.header(HttpHeaders.LOCATION)).isEqualTo("/v1/functions/aliased/aliases/live");
    assertThat(created.as(AliasView.class).routing()).containsExactly(new RoutingEntry(1, 100));

    Reply split =
        api.put(
            token,
            "/v1/functions/aliased/aliases/live",
            Map.of("routing", List.of(Map.of("version", 2, "weight", 90), Map.of("version", 1, "weight", 10))));
    assertThat(split.status()).as("%s", split).isEqualTo(200);
    assertThat(split.as(AliasView.class).routing()).containsExactly(new RoutingEntry(2, 90), new RoutingEntry(1, 10));

    AliasView read = api.get(token, "/v1/functions/aliased/aliases/live").as(AliasView.class);
    assertThat(read.routing()).containsExactly(new RoutingEntry(2, 90), new RoutingEntry(1, 10));
    assertThat(api.get(token, "/v1/functions/aliased/aliases").as(Argument.listOf(AliasView.class)))
        .extracting(AliasView::name)
        .containsExactly("live");

    assertThat(api.delete(token, "/v1/functions/aliased/aliases/live").status()).isEqualTo(204);
    assertThat(api.get(token, "/v1/functions/aliased/aliases/live").status()).isEqualTo(404);
    assertThat(api.get(token, "/v1/functions/aliased/aliases").as(Argument.listOf(AliasView.class))).isEmpty();
  }

  @Test
  void deleteRemovesTheFunctionsRowsAndObjects() {
    api.createFunction(token, "doomed");
    String sha = api.uploadCode(token, "doomed", Zips.valid()).sha256();
    deploys.completeOnStart(true);
    api.publish(token, "doomed");
    api.post(token, "/v1/functions/doomed/aliases", Map.of("name", "live", "version", 1));
    api.createFunction(token, "survivor");
    String survivorSha = api.uploadCode(token, "survivor", Zips.valid()).sha256();
    api.publish(token, "survivor");
    FunctionRecord doomed = functions.findByTenantIdAndName(tenant.id(), "doomed").orElseThrow();
    assertThat(deployments.findByFunctionIdAndStatus(doomed.id(), DeploymentStatus.SUCCEEDED)).hasSize(1);
    assertThat(store.list("")).contains(doomed.codeStagingKey(), PackageKeys.contentAddressed(sha));

    Reply deleted = api.delete(token, "/v1/functions/doomed");

    assertThat(deleted.status()).as("%s", deleted).isEqualTo(204);
    assertThat(api.get(token, "/v1/functions/doomed").status()).isEqualTo(404);
    assertThat(functions.findById(doomed.id())).isEmpty();
    assertThat(deployments.findFirstByFunctionIdOrderByVersionDesc(doomed.id())).isEmpty();
    assertThat(versions.findByFunctionId(doomed.id())).isEmpty();
    assertThat(aliases.findByFunctionIdOrderByName(doomed.id())).isEmpty();
    List<String> keys = store.list("");
    assertThat(keys).doesNotContain(doomed.codeStagingKey(), PackageKeys.contentAddressed(sha));
    assertThat(keys).as("the other function's objects stay").contains(PackageKeys.contentAddressed(survivorSha));
    assertThat(api.get(token, "/v1/functions/survivor/versions/1/code").status()).isEqualTo(200);
  }

  @Test
  void embeddedObjectStoreListensOnTheBoundPort() {
    // faaster.object-store.embedded.port is 0 in the test config: the endpoint must name the real port.
    assertThat(endpoint.uri().getPort()).isPositive();
  }
}

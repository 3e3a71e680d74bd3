package dev.faaster.zonecache;

import dev.faaster.registry.Deployment;
import dev.faaster.registry.DeploymentRepository;
import dev.faaster.registry.DeploymentStatus;
import dev.faaster.registry.FunctionRecord;
import dev.faaster.registry.FunctionRepository;
import dev.faaster.registry.FunctionVersion;
import dev.faaster.registry.FunctionVersionRepository;
import dev.faaster.registry.Tenant;
import dev.faaster.registry.TenantRepository;
import dev.faaster.packagestore.PackageKeys;
import io.micronaut.context.ApplicationContext;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.UUID;

/** Registry rows as the api and the deploy workflow write them, for the ownership the cache checks. */
public final class RegistryRows {

  private final TenantRepository tenants;
  private final FunctionRepository functions;
  private final DeploymentRepository deployments;
  private final FunctionVersionRepository versions;

  public RegistryRows(ApplicationContext context) {
    this.tenants = context.getBean(TenantRepository.class);
    this.functions = context.getBean(FunctionRepository.class);
    this.deployments = context.getBean(DeploymentRepository.class);
    this.versions = context.getBean(FunctionVersionRepository.class);
  }

  /** A new tenant; returns its id. */
  public String tenant(String prefix) {
    String id = UUID.randomUUID().toString();
    tenants.save(new Tenant(id, prefix + "-" + id.substring(0, 8), now()));
    return id;
  }

  /** A published version of a new function of the tenant with this code: the tenant owns the digest. */
  public Deployment published(String tenantId, String sha256) {
    Deployment deployment = deployment(tenantId, sha256, DeploymentStatus.SUCCEEDED);
    versions.save(
        new FunctionVersion(
            UUID.randomUUID().toString(),
            tenantId,
            deployment.functionId(),
            deployment.id(),
            1,
            sha256,
            deployment.codeSizeBytes(),
            PackageKeys.contentAddressed(sha256),
            "python3",
            "main.handler",
            128,
            3,
            "{}",
            "{}",
            null,
            now()));
    return deployment;
  }

  /** A deploy of a new function of the tenant, in the given status, without a version row (yet). */
  public Deployment deployment(String tenantId, String sha256, DeploymentStatus status) {
    String functionId = UUID.randomUUID().toString();
    String name = "fn-" + functionId.substring(0, 8);
    functions.save(
        new FunctionRecord(
            functionId, tenantId, name, "python3", "main.handler", 128, 3, "{}", "{}", null, sha256, 1L,
            "staging/" + tenantId + "/" + functionId + "/" + sha256 + ".zip", 2, 1, now(), now()));
    return deployments.save(
        new Deployment(
            UUID.randomUUID().toString(), tenantId, functionId, name, 1, "deploy-" + functionId, status, sha256, 1L,
            "staging/" + tenantId + "/" + functionId + "/" + sha256 + ".zip", "python3", "main.handler", 128, 3, "{}",
            "{}", null, null, now(), now()));
  }

  /** Deletes every version using the digest (as a function delete does): the digest becomes inactive. */
  public void retire(String sha256) {
    versions.findAll().forEach(version -> {
      if (version.codeSha256().equals(sha256)) {
        versions.delete(version);
      }
    });
  }

  private static Instant now() {
    return Instant.now().truncatedTo(ChronoUnit.MILLIS);
  }
}

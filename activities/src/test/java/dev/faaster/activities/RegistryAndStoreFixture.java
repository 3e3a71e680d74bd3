package dev.faaster.activities;

import dev.faaster.embeddeds3.EmbeddedS3Server;
import dev.faaster.packagestore.PackageKeys;
import dev.faaster.packagestore.PackageStore;
import dev.faaster.packagestore.Sha256;
import dev.faaster.registry.Deployment;
import dev.faaster.registry.DeploymentRepository;
import dev.faaster.registry.DeploymentStatus;
import dev.faaster.registry.FunctionRecord;
import dev.faaster.registry.FunctionRepository;
import dev.faaster.registry.Tenant;
import dev.faaster.registry.TenantRepository;
import dev.faaster.workflows.deploy.DeployRequest;
import dev.faaster.workflows.deploy.DeployWorkflowIds;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.UUID;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Rows and objects for activity tests: a real embedded S3 store and the registry on H2. Each test
 * makes its own tenant, so tests share the database without seeing each other.
 */
public final class RegistryAndStoreFixture {

  private static EmbeddedS3Server server;

  private RegistryAndStoreFixture() {}

  /** One S3Proxy for the test JVM; its endpoint goes into the Micronaut test properties. */
  public static synchronized String endpoint() {
    if (server == null) {
      try {
        server = EmbeddedS3Server.start("127.0.0.1", 0, Files.createTempDirectory("activities-s3"), "test-key", "test-secret");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return server.endpoint().toString();
  }

  public static byte[] zip(String name, String content) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
      ZipEntry entry = new ZipEntry(name);
      entry.setTime(315532800000L); // fixed, so equal content gives equal bytes and digests
      zip.putNextEntry(entry);
      zip.write(content.getBytes());
      zip.closeEntry();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /** A tenant, a function with staged code and a PENDING deployment of version 1. */
  public static DeployRequest stagedDeploy(
      TenantRepository tenants, FunctionRepository functions, DeploymentRepository deployments, PackageStore store, byte[] zip)
      throws IOException {
    Instant now = Instant.now();
    Tenant tenant = tenants.save(new Tenant(UUID.randomUUID().toString(), "t-" + UUID.randomUUID().toString().substring(0, 8), now));
    String sha = Sha256.hex(zip);
    String functionId = UUID.randomUUID().toString();
    String stagingKey = PackageKeys.staging(tenant.id(), functionId, sha);
    Path file = Files.createTempFile("staged", ".zip");
    Files.write(file, zip);
    store.ensureBucket();
    store.putFile(stagingKey, file, sha);
    Files.delete(file);
    FunctionRecord function =
        functions.save(
            new FunctionRecord(functionId, tenant.id(), "fn", "provided", null, 128, 3, "{}", "{}", null, sha,
                (long) zip.length, stagingKey, 2, 1, now, now));
    Deployment deployment =
        deployments.save(
            new Deployment(UUID.randomUUID().toString(), tenant.id(), function.id(), function.name(), 1,
                DeployWorkflowIds.of(tenant.id(), function.id(), 1), DeploymentStatus.PENDING, sha, zip.length, stagingKey,
                "provided", null, 128, 3, "{\"A\":\"1\"}", "{}", "first", null, now, now));
    return new DeployRequest(deployment.id(), tenant.id(), function.id(), function.name(), 1, stagingKey, sha, zip.length);
  }
}

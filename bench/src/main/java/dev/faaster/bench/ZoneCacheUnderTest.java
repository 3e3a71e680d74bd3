package dev.faaster.bench;

import dev.faaster.packagestore.PackageKeys;
import dev.faaster.registry.Deployment;
import dev.faaster.registry.DeploymentRepository;
import dev.faaster.registry.DeploymentStatus;
import dev.faaster.registry.FunctionRecord;
import dev.faaster.registry.FunctionRepository;
import dev.faaster.registry.FunctionVersion;
import dev.faaster.registry.FunctionVersionRepository;
import dev.faaster.registry.Tenant;
import dev.faaster.registry.TenantRepository;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micronaut.context.ApplicationContext;
import io.micronaut.runtime.server.EmbeddedServer;
import java.net.URI;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The real zone cache (L2) in this JVM: its Micronaut context with its Netty HTTP server on a free
 * loopback port, an H2 registry in memory (migrated by Flyway, as the api does in production) and
 * the benchmark's S3 origin. Registry rows make a tenant own a digest, as a deploy does.
 */
final class ZoneCacheUnderTest implements AutoCloseable {

  /**
   * One class of each platform module whose beans (a second {@code Clock}, the api's object
   * store...) would join the zone cache's context and clash: hidden from it.
   */
  private static final List<String> PLATFORM_MODULE_CLASSES = List.of(
      "dev.faaster.api.Application",
      "dev.faaster.worker.FaasterWorker",
      "dev.faaster.activities.deploy.DeployActivitiesImpl",
      "dev.faaster.workflows.TaskQueues",
      "dev.faaster.vm.AgentClient",
      "dev.faaster.bench.CacheBenchmark");

  static final String NODE_TOKEN = "bench-node-token";

  private final EmbeddedServer server;

  ZoneCacheUnderTest(Path directory, CacheOrigin origin) {
    Map<String, Object> properties = new HashMap<>(origin.properties());
    properties.put("micronaut.server.host", "127.0.0.1");
    properties.put("micronaut.server.port", -1);
    // The api's beans share this classpath; no role makes any of them start.
    properties.put("faaster.roles", "zone-cache-bench");
    properties.put("faaster.zone-cache.directory", directory.toString());
    properties.put("faaster.zone-cache.max-bytes", String.valueOf(4L << 30));
    properties.put("faaster.zone-cache.eviction-grace", "1m");
    properties.put("faaster.zone-cache.node-token", NODE_TOKEN);
    properties.put("datasources.default.url",
        "jdbc:h2:mem:zone-cache-bench-" + UUID.randomUUID() + ";MODE=MySQL;DATABASE_TO_LOWER=TRUE;DB_CLOSE_DELAY=-1");
    properties.put("datasources.default.username", "sa");
    properties.put("datasources.default.password", "");
    properties.put("datasources.default.driver-class-name", "org.h2.Driver");
    properties.put("datasources.default.dialect", "H2");
    properties.put("flyway.datasources.default.enabled", true);
    properties.put("flyway.datasources.default.locations", "classpath:db/migration");
    ApplicationContext context = ApplicationContext.builder()
        .classLoader(new ModuleHidingClassLoader(ZoneCacheUnderTest.class.getClassLoader(), PLATFORM_MODULE_CLASSES))
        .properties(properties)
        .start();
    this.server = context.getBean(EmbeddedServer.class);
    server.start();
  }

  URI url() {
    return server.getURI();
  }

  ApplicationContext context() {
    return server.getApplicationContext();
  }

  /** Origin fetches the zone cache made so far (all outcomes). */
  long originFetches() {
    MeterRegistry registry = context().getBean(MeterRegistry.class);
    return registry.find("faaster.cache.origin.fetch").timers().stream().mapToLong(Timer::count).sum();
  }

  /** A new tenant; returns its id. */
  String tenant(String prefix) {
    String id = UUID.randomUUID().toString();
    context().getBean(TenantRepository.class).save(new Tenant(id, prefix + "-" + id.substring(0, 8), now()));
    return id;
  }

  /** A published version of a new function of the tenant with this code: the tenant owns the digest. */
  void published(String tenantId, String sha256, long sizeBytes) {
    String functionId = UUID.randomUUID().toString();
    String name = "fn-" + functionId.substring(0, 8);
    String staging = "staging/" + tenantId + "/" + functionId + "/" + sha256 + ".zip";
    context().getBean(FunctionRepository.class).save(
        new FunctionRecord(functionId, tenantId, name, "provided", "bootstrap", 128, 3, "{}", "{}", null, sha256,
            sizeBytes, staging, 2, 1, now(), now()));
    Deployment deployment = context().getBean(DeploymentRepository.class).save(
        new Deployment(UUID.randomUUID().toString(), tenantId, functionId, name, 1, "deploy-" + functionId,
            DeploymentStatus.SUCCEEDED, sha256, sizeBytes, staging, "provided", "bootstrap", 128, 3, "{}", "{}", null,
            null, now(), now()));
    context().getBean(FunctionVersionRepository.class).save(
        new FunctionVersion(UUID.randomUUID().toString(), tenantId, functionId, deployment.id(), 1, sha256, sizeBytes,
            PackageKeys.contentAddressed(sha256), "provided", "bootstrap", 128, 3, "{}", "{}", null, now()));
  }

  private static Instant now() {
    return Instant.now().truncatedTo(ChronoUnit.MILLIS);
  }

  @Override
  public void close() {
    context().close();
  }
}

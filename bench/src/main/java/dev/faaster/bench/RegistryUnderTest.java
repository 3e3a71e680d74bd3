package dev.faaster.bench;

import io.micronaut.context.ApplicationContext;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The platform's registry alone: a Micronaut context with an H2 database in memory, migrated by the
 * registry module's Flyway migrations as the api does in production, and its repositories. The
 * other platform modules on the bench classpath are hidden from the context (their bean definitions
 * and application.yml, see {@link ModuleHidingClassLoader}), so none of their beans start.
 */
final class RegistryUnderTest implements AutoCloseable {

  /** A class of each platform module whose beans must not start here (the registry's are kept). */
  private static final List<String> HIDDEN_MODULE_CLASSES = List.of(
      "dev.faaster.api.Application",
      "dev.faaster.worker.FaasterWorker",
      "dev.faaster.activities.deploy.DeployActivitiesImpl",
      "dev.faaster.codecache.NodeCodeCache",
      "dev.faaster.zonecache.store.PackageCache",
      "dev.faaster.vm.AgentClient",
      "dev.faaster.bench.ControlPlaneBenchmark");

  private final ApplicationContext context;

  RegistryUnderTest(String name, int poolSize) {
    Map<String, Object> properties = new HashMap<>();
    properties.put("faaster.roles", "registry-bench");
    properties.put("datasources.default.url",
        "jdbc:h2:mem:" + name + "-" + UUID.randomUUID() + ";MODE=MySQL;DATABASE_TO_LOWER=TRUE;DB_CLOSE_DELAY=-1");
    properties.put("datasources.default.username", "sa");
    properties.put("datasources.default.password", "");
    properties.put("datasources.default.driver-class-name", "org.h2.Driver");
    properties.put("datasources.default.dialect", "H2");
    properties.put("datasources.default.maximum-pool-size", poolSize);
    properties.put("flyway.datasources.default.enabled", true);
    properties.put("flyway.datasources.default.locations", "classpath:db/migration");
    this.context = ApplicationContext.builder()
        .classLoader(new ModuleHidingClassLoader(RegistryUnderTest.class.getClassLoader(), HIDDEN_MODULE_CLASSES))
        .properties(properties)
        .start();
  }

  <T> T bean(Class<T> type) {
    return context.getBean(type);
  }

  ApplicationContext context() {
    return context;
  }

  @Override
  public void close() {
    context.close();
  }
}

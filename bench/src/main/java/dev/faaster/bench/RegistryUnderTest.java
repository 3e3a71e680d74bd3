package dev.faaster.bench;

import io.micronaut.context.ApplicationContext;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The platform's registry alone: a Micronaut context with an H2 database in memory, migrated by the
 * registry module's Flyway migrations as the api does in production, and its repositories. The
 * other platform modules on the bench classpath are hidden from the context (their bean definitions
 * and application.yml, see {@link RegistryOnly}), so none of their beans start.
 */
final class RegistryUnderTest implements AutoCloseable {

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
        .classLoader(new RegistryOnly(RegistryUnderTest.class.getClassLoader()))
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

  /**
   * Hides the resources (bean definitions, application.yml) of the platform's modules other than the
   * registry; classes still come from the parent (one set of types in the JVM). The zone cache's
   * eager beans, for one, would otherwise start in this context.
   */
  private static final class RegistryOnly extends ClassLoader {

    private static final List<String> HIDDEN_MODULE_CLASSES = List.of(
        "dev.faaster.api.Application",
        "dev.faaster.worker.FaasterWorker",
        "dev.faaster.activities.deploy.DeployActivitiesImpl",
        "dev.faaster.codecache.NodeCodeCache",
        "dev.faaster.zonecache.store.PackageCache",
        "dev.faaster.vm.AgentClient",
        "dev.faaster.bench.ControlPlaneBenchmark");

    private final List<String> hidden = new ArrayList<>();

    RegistryOnly(ClassLoader parent) {
      super(parent);
      for (String name : HIDDEN_MODULE_CLASSES) {
        try {
          CodeSource source = Class.forName(name, false, parent).getProtectionDomain().getCodeSource();
          if (source != null && source.getLocation() != null) {
            hidden.add(source.getLocation().getPath());
          }
        } catch (ClassNotFoundException absent) {
          // Not on this classpath: nothing to hide.
        }
      }
    }

    @Override
    public URL getResource(String name) {
      try {
        Enumeration<URL> all = getResources(name);
        return all.hasMoreElements() ? all.nextElement() : null;
      } catch (IOException e) {
        return null;
      }
    }

    @Override
    public Enumeration<URL> getResources(String name) throws IOException {
      List<URL> urls = new ArrayList<>();
      for (URL url : Collections.list(getParent().getResources(name))) {
        String path = url.getPath().startsWith("file:") ? url.getPath().substring(5) : url.getPath();
        if (hidden.stream().noneMatch(path::startsWith)) {
          urls.add(url);
        }
      }
      return Collections.enumeration(urls);
    }

    @Override
    public InputStream getResourceAsStream(String name) {
      URL url = getResource(name);
      try {
        return url == null ? null : url.openStream();
      } catch (IOException e) {
        return null;
      }
    }
  }
}

package dev.faaster.bench;

import java.io.IOException;
import java.net.URL;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;

/**
 * The bench classpath also holds the api, worker, activities, workflows and vm modules, whose beans
 * (a second {@code Clock}, the api's object store...) would join the zone cache's context and
 * clash. Micronaut finds bean definitions and {@code application.yml} as classpath resources, so
 * this loader hides those modules' resources from the zone cache's context; classes still come
 * from the application class loader (one set of types in the JVM).
 */
final class ZoneCacheClassLoader extends ClassLoader {

  /** One class of each module to hide, to find where its jar or classes directory is. */
  private static final List<String> HIDDEN_MODULE_CLASSES = List.of(
      "dev.faaster.api.Application",
      "dev.faaster.worker.FaasterWorker",
      "dev.faaster.activities.deploy.DeployActivitiesImpl",
      "dev.faaster.workflows.TaskQueues",
      "dev.faaster.vm.AgentClient",
      "dev.faaster.bench.CacheBenchmark");

  private final List<String> hidden = new ArrayList<>();

  ZoneCacheClassLoader(ClassLoader parent) {
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

  private boolean visible(URL url) {
    String path = url.getPath();
    if (path.startsWith("file:")) {
      path = path.substring("file:".length());
    }
    for (String location : hidden) {
      if (path.startsWith(location)) {
        return false;
      }
    }
    return true;
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
      if (visible(url)) {
        urls.add(url);
      }
    }
    return Collections.enumeration(urls);
  }

  @Override
  public java.io.InputStream getResourceAsStream(String name) {
    URL url = getResource(name);
    try {
      return url == null ? null : url.openStream();
    } catch (IOException e) {
      return null;
    }
  }
}

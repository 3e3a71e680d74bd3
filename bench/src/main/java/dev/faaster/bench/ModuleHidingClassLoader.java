package dev.faaster.bench;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;

/**
 * Hides the resources (bean definitions, application.yml) of whole platform modules from a Micronaut
 * context; classes still come from the parent (one set of types in the JVM). The bench classpath
 * holds every module, and a context started on it would otherwise start beans of modules that run
 * as other processes in production (the zone cache's eager beans, for one).
 */
final class ModuleHidingClassLoader extends ClassLoader {

  private final List<String> hidden = new ArrayList<>();

  /** @param moduleClasses a class of each module to hide: its jar or classes directory is hidden */
  ModuleHidingClassLoader(ClassLoader parent, List<String> moduleClasses) {
    super(parent);
    for (String name : moduleClasses) {
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

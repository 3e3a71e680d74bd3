package dev.faaster.zonecache;

import io.micronaut.context.ApplicationContext;
import io.micronaut.context.env.Environment;
import io.micronaut.http.client.HttpClient;
import io.micronaut.runtime.server.EmbeddedServer;
import java.util.HashMap;
import java.util.Map;

/**
 * One zone cache process (an application context with its HTTP server), started and stopped by a
 * test: restarts on the same directory are two of these in a row.
 */
public final class ZoneCacheProcess implements AutoCloseable {

  private final EmbeddedServer server;
  private final HttpClient http;

  private ZoneCacheProcess(EmbeddedServer server) {
    this.server = server;
    this.http = HttpClient.create(server.getURL());
  }

  /** Starts a zone cache with the test overlay and these properties on top. */
  public static ZoneCacheProcess start(Map<String, Object> properties) {
    Map<String, Object> all = new HashMap<>(properties);
    return new ZoneCacheProcess(ApplicationContext.run(EmbeddedServer.class, all, Environment.TEST));
  }

  public ApplicationContext context() {
    return server.getApplicationContext();
  }

  public <T> T bean(Class<T> type) {
    return context().getBean(type);
  }

  public ZoneCacheClient client() {
    return new ZoneCacheClient(http);
  }

  @Override
  public void close() {
    http.close();
    server.getApplicationContext().close();
  }
}

package dev.faaster.api.node;

import dev.faaster.activities.vm.NodeConfiguration;
import dev.faaster.activities.vm.NodeRole;
import dev.faaster.api.invoke.NodeDataPlaneSettings;
import dev.faaster.registry.NodeRepository;
import io.micronaut.context.annotation.Requires;
import io.micronaut.runtime.event.annotation.EventListener;
import io.micronaut.runtime.server.EmbeddedServer;
import io.micronaut.runtime.server.event.ServerStartupEvent;
import io.micronaut.scheduling.annotation.Scheduled;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes where this node serves invocations (its {@code nodes.data_plane_url}) once its HTTP
 * server listens, and again now and then (a node row re-created after it was lost gets it back).
 */
@Singleton
@Requires(property = "faaster.roles", pattern = NodeRole.PATTERN)
public class NodeDataPlanePublisher {

  private static final Logger log = LoggerFactory.getLogger(NodeDataPlanePublisher.class);

  private final NodeRepository nodes;
  private final NodeConfiguration node;
  private final NodeDataPlaneSettings settings;
  private volatile String url;

  public NodeDataPlanePublisher(NodeRepository nodes, NodeConfiguration node, NodeDataPlaneSettings settings) {
    this.nodes = nodes;
    this.node = node;
    this.settings = settings;
  }

  @EventListener
  void onServerStartup(ServerStartupEvent event) {
    url = address(settings, event.getSource());
    publish();
  }

  @Scheduled(fixedDelay = "30s", initialDelay = "30s")
  void republish() {
    if (url != null) {
      publish();
    }
  }

  private void publish() {
    try {
      if (nodes.publishDataPlane(node.id(), url) > 0) {
        log.debug("node {} serves invocations at {}", node.id(), url);
      }
    } catch (RuntimeException e) {
      log.warn("node {} could not publish its data plane {}: {}", node.id(), url, e.getMessage());
    }
  }

  /** The configured URL, else this server's: 127.0.0.1 when it listens on every interface. */
  static String address(NodeDataPlaneSettings settings, EmbeddedServer server) {
    if (settings.url() != null && !settings.url().isBlank()) {
      return settings.url().replaceAll("/+$", "");
    }
    String host = server.getHost();
    if (host == null || host.isBlank() || "0.0.0.0".equals(host) || "::".equals(host)) {
      host = "127.0.0.1";
    }
    return server.getScheme() + "://" + host + ":" + server.getPort();
  }
}

package dev.faaster.api.invoke;

import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.core.bind.annotation.Bindable;
import java.time.Duration;

/**
 * The nodes' data plane ({@code faaster.node.data-plane.*}): how an API process reaches instances
 * on a node that runs in another process, and how a node lets it.
 *
 * @param url where this node serves invocations, as other hosts reach it; empty: http://HOST:PORT
 *     of this process's HTTP server (HOST 127.0.0.1 when it listens on every interface)
 * @param token the shared secret API processes present to nodes; empty: the data plane is off (a
 *     node refuses every call; an API can only invoke instances of a node in its own process)
 * @param connectTimeout how long an API waits to connect to a node
 */
@ConfigurationProperties("faaster.node.data-plane")
public record NodeDataPlaneSettings(
    @Nullable String url,
    @Nullable String token,
    @Bindable(defaultValue = "2s") Duration connectTimeout) {

  public boolean enabled() {
    return token != null && !token.isBlank();
  }
}

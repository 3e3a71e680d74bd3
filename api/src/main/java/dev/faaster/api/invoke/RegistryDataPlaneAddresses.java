package dev.faaster.api.invoke;

import dev.faaster.registry.NodeRecord;
import dev.faaster.registry.NodeRepository;
import jakarta.inject.Singleton;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** Node addresses read from the registry's {@code nodes.data_plane_url}, kept until one fails. */
@Singleton
public class RegistryDataPlaneAddresses implements DataPlaneAddresses {

  private final NodeRepository nodes;
  private final Map<String, String> known = new ConcurrentHashMap<>();

  public RegistryDataPlaneAddresses(NodeRepository nodes) {
    this.nodes = nodes;
  }

  @Override
  public Optional<String> of(String nodeId) {
    String url = known.get(nodeId);
    if (url != null) {
      return Optional.of(url);
    }
    Optional<String> read = nodes.findById(nodeId).map(NodeRecord::dataPlaneUrl).filter(u -> !u.isBlank());
    read.ifPresent(u -> known.put(nodeId, u));
    return read;
  }

  @Override
  public void forget(String nodeId) {
    known.remove(nodeId);
  }
}

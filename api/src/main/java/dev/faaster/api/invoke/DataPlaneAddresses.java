package dev.faaster.api.invoke;

import java.util.Optional;

/** Where each node serves invocations of its instances (published in the registry by the node). */
public interface DataPlaneAddresses {

  /** The node's data plane URL, empty when it published none (or is unknown). */
  Optional<String> of(String nodeId);

  /** Drops what is known of the node's address: it didn't answer there (it may have moved). */
  void forget(String nodeId);
}

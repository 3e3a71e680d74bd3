package dev.faaster.api.invoke;

import dev.faaster.activities.vm.NodeConfiguration;
import dev.faaster.activities.vm.NodeRole;
import dev.faaster.workflows.coldstart.ColdStartResult;
import io.micronaut.context.annotation.Value;
import jakarta.inject.Singleton;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The router's invoker: an instance of the node that runs in this process is invoked through its
 * guest agent directly ({@link GuestAgentInvoker}); one on another node through that node's data
 * plane ({@link NodeDataPlaneClient}), since only the node's process can hold its agents'
 * connections (an agent port takes one host at a time).
 */
@Singleton
public class AgentInstanceInvoker implements InstanceInvoker {

  private final GuestAgentInvoker local;
  /** The agent socket of each local instance invoked here, to close its connection when it goes. */
  private final Map<String, Path> sockets = new ConcurrentHashMap<>();
  private final NodeDataPlaneClient remote;
  /** The node in this process, or null when this process runs none. */
  private final String localNodeId;

  public AgentInstanceInvoker(
      GuestAgentInvoker local,
      NodeDataPlaneClient remote,
      NodeConfiguration node,
      @Value("${faaster.roles:api}") String roles) {
    this.local = local;
    this.remote = remote;
    this.localNodeId = Pattern.compile(NodeRole.PATTERN).matcher(roles).matches() ? node.id() : null;
  }

  @Override
  public InvocationOutcome invoke(ColdStartResult instance, byte[] event, Duration timeout, String invocationId) {
    if (instance.nodeId().equals(localNodeId)) {
      Path socket = Path.of(instance.agentSocket());
      sockets.put(instance.instanceId(), socket);
      return local.invoke(instance.instanceId(), socket, event, timeout, invocationId);
    }
    return remote.invoke(instance.nodeId(), instance.instanceId(), event, timeout, invocationId);
  }

  @Override
  public boolean healthy(ColdStartResult instance, Duration timeout) {
    if (instance.nodeId().equals(localNodeId)) {
      return local.healthy(instance.instanceId(), Path.of(instance.agentSocket()), timeout);
    }
    return remote.healthy(instance.nodeId(), instance.instanceId(), timeout);
  }

  @Override
  public void discard(String instanceId) {
    // A remote node closes its connection when it destroys the VM; a local one is closed here.
    Path socket = sockets.remove(instanceId);
    if (socket != null) {
      local.close(socket);
    }
  }
}

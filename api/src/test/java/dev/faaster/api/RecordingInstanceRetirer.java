package dev.faaster.api;

import dev.faaster.api.invoke.InstanceRetirer;
import io.micronaut.context.annotation.Replaces;
import io.micronaut.context.annotation.Requires;
import jakarta.inject.Singleton;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Stands in for the retirement workflow: records which instances were retired and why. */
@Singleton
@Replaces(InstanceRetirer.class)
@Requires(property = "spec.name", value = RecordingDeployWorkflowStarter.SPEC)
public class RecordingInstanceRetirer implements InstanceRetirer {

  /** One call of {@link #retire}. */
  public record Retirement(String instanceId, String nodeId, String reason) {}

  private final List<Retirement> retirements = new CopyOnWriteArrayList<>();

  @Override
  public void retire(String instanceId, String nodeId, String reason) {
    retirements.add(new Retirement(instanceId, nodeId, reason));
  }

  public List<Retirement> retirements() {
    return List.copyOf(retirements);
  }

  /** Why the instance was retired; null if it wasn't. */
  public String reasonFor(String instanceId) {
    return retirements.stream().filter(r -> r.instanceId().equals(instanceId)).map(Retirement::reason).findFirst().orElse(null);
  }
}

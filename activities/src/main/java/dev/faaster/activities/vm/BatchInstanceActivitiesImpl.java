package dev.faaster.activities.vm;

import dev.faaster.activities.BatchRunner;
import dev.faaster.workflows.InstanceOutcome;
import dev.faaster.workflows.instance.BatchInstanceActivities;
import dev.faaster.workflows.instance.GuestCode;
import dev.faaster.workflows.instance.InstanceActivities;
import dev.faaster.workflows.instance.InstanceHandle;
import dev.faaster.workflows.instance.LoadedCode;
import io.micronaut.context.annotation.Requires;
import jakarta.inject.Singleton;
import java.util.List;

/**
 * This node's instance steps for a batch: the single-instance steps ({@link InstanceActivities},
 * {@link LibvirtInstanceActivities} on a node) for each instance through the node's {@link
 * BatchRunner}, so a batch restores, loads and destroys exactly as that many cold starts would.
 */
@Singleton
@Requires(property = "faaster.roles", pattern = NodeRole.PATTERN)
public class BatchInstanceActivitiesImpl implements BatchInstanceActivities {

  private final InstanceActivities instances;
  private final BatchRunner runner;

  public BatchInstanceActivitiesImpl(InstanceActivities instances, BatchRunner runner) {
    this.instances = instances;
    this.runner = runner;
  }

  @Override
  public List<InstanceOutcome<InstanceHandle>> createAllFromTemplate(List<String> instanceIds, String templateId) {
    return runner.each(instanceIds, id -> instances.createFromTemplate(id, templateId));
  }

  @Override
  public List<InstanceOutcome<InstanceHandle>> createAllByBooting(List<String> instanceIds, String templateId) {
    return runner.each(instanceIds, id -> instances.createByBooting(id, templateId));
  }

  @Override
  public List<InstanceOutcome<LoadedCode>> loadCodeIntoAll(List<String> instanceIds, GuestCode code) {
    return runner.each(instanceIds, id -> instances.loadCode(id, code));
  }

  @Override
  public void destroyAll(List<String> instanceIds) {
    runner.all(instanceIds, instances::destroy, "destroy");
  }
}

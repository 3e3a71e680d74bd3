package dev.faaster.activities.code;

import dev.faaster.activities.BatchRunner;
import dev.faaster.activities.vm.NodeRole;
import dev.faaster.workflows.InstanceOutcome;
import dev.faaster.workflows.code.BatchCodeActivities;
import dev.faaster.workflows.code.CodeActivities;
import dev.faaster.workflows.code.CodeOnNode;
import io.micronaut.context.annotation.Requires;
import jakarta.inject.Singleton;
import java.util.List;

/**
 * This node's code steps for a batch: {@link CodeActivities} ({@link CachedCodeActivities} on a
 * node) for each instance through the node's {@link BatchRunner}. The first instance's miss fetches
 * the package through the tiers; the others join that fetch or hit L1, each holding its own lease.
 */
@Singleton
@Requires(property = "faaster.roles", pattern = NodeRole.PATTERN)
public class BatchCodeActivitiesImpl implements BatchCodeActivities {

  private final CodeActivities code;
  private final BatchRunner runner;

  public BatchCodeActivitiesImpl(CodeActivities code, BatchRunner runner) {
    this.code = code;
    this.runner = runner;
  }

  @Override
  public List<InstanceOutcome<CodeOnNode>> ensureCodeOnNodeForAll(List<String> instanceIds, String tenantId,
      String sha256) {
    return runner.each(instanceIds, id -> code.ensureCodeOnNode(id, tenantId, sha256));
  }

  @Override
  public void releaseCodeOfAll(List<String> instanceIds) {
    runner.all(instanceIds, code::releaseCode, "release code");
  }
}

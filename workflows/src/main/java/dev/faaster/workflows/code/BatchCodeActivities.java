package dev.faaster.workflows.code;

import dev.faaster.workflows.InstanceOutcome;
import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;
import java.util.List;

/**
 * {@link CodeActivities} for many instances of one function version on the node that will run
 * them (its own task queue). Each instance holds the package on its own, as after the single call;
 * concurrent holders of one digest share its fetch. Forward step per instance, undo all or fail,
 * as {@link dev.faaster.workflows.instance.BatchInstanceActivities}.
 */
@ActivityInterface
public interface BatchCodeActivities {

  /**
   * {@link CodeActivities#ensureCodeOnNode} for each instance.
   *
   * @param instanceIds holders of the package; used for idempotency and compensation correlation
   *     ({@link #releaseCodeOfAll})
   * @return one outcome per instance, in the order given
   */
  @ActivityMethod
  List<InstanceOutcome<CodeOnNode>> ensureCodeOnNodeForAll(List<String> instanceIds, String tenantId, String sha256);

  /**
   * {@link CodeActivities#releaseCode} for each instance. Every instance is tried; the call fails
   * naming those whose release failed.
   */
  @ActivityMethod
  void releaseCodeOfAll(List<String> instanceIds);
}

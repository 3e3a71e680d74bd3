package dev.faaster.workflows.instance;

import dev.faaster.workflows.InstanceOutcome;
import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;
import java.util.List;

/**
 * {@link InstanceActivities} for many instances of one function version on the node that owns
 * them (its own task queue). Each instance is handled as the single call handles it, with the same
 * idempotency by instance id; the node works on a bounded number at once. The forward steps answer
 * every instance on its own (one failure doesn't fail the call); the undo fails the call if any
 * instance could not be undone, and its retry repeats the whole list. Long calls heartbeat as
 * instances complete.
 */
@ActivityInterface
public interface BatchInstanceActivities {

  /**
   * {@link InstanceActivities#createFromTemplate} for each instance.
   *
   * @param instanceIds used for idempotency and compensation correlation ({@link #destroyAll})
   * @return one outcome per instance, in the order given
   */
  @ActivityMethod
  List<InstanceOutcome<InstanceHandle>> createAllFromTemplate(List<String> instanceIds, String templateId);

  /** {@link InstanceActivities#createByBooting} for each instance; as {@link #createAllFromTemplate}. */
  @ActivityMethod
  List<InstanceOutcome<InstanceHandle>> createAllByBooting(List<String> instanceIds, String templateId);

  /**
   * {@link InstanceActivities#loadCode} of the same code into each instance's guest.
   *
   * @return one outcome per instance, in the order given; a guest that refuses the code gives a
   *     {@link dev.faaster.workflows.coldstart.ColdStartFailureTypes#CODE_LOAD_FAILED} outcome
   */
  @ActivityMethod
  List<InstanceOutcome<LoadedCode>> loadCodeIntoAll(List<String> instanceIds, GuestCode code);

  /**
   * {@link InstanceActivities#destroy} for each instance; tolerates instances never created. Every
   * instance is tried; the call fails naming those that could not be destroyed.
   */
  @ActivityMethod
  void destroyAll(List<String> instanceIds);
}

package dev.faaster.workflows.instance;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;
import java.util.List;

/**
 * Instance steps on the node that owns the VMs (its own task queue). Calls are idempotent by
 * {@code instanceId}; {@link #destroy} undoes {@link #createFromTemplate} and tolerates an instance
 * that was never created.
 */
@ActivityInterface
public interface InstanceActivities {

  /**
   * Restores a new instance from the template, gives it its own identity (hostname, MAC, reseeded
   * random state) and records it. A second call with the same id returns the same instance.
   *
   * @param instanceId used for idempotency and compensation correlation
   */
  @ActivityMethod
  InstanceHandle createFromTemplate(String instanceId, String templateId);

  /**
   * Boots a new instance from the template's image, as a platform without templates would: the
   * baseline the restore is measured against. Same identity steps and idempotency as {@link
   * #createFromTemplate}.
   */
  @ActivityMethod
  InstanceHandle createByBooting(String instanceId, String templateId);

  /**
   * Loads the function's code into the instance's guest (python3 imports the handler here).
   *
   * @throws io.temporal.failure.ApplicationFailure {@link
   *     dev.faaster.workflows.coldstart.ColdStartFailureTypes#CODE_LOAD_FAILED} when the guest refuses
   *     the package
   */
  @ActivityMethod
  LoadedCode loadCode(String instanceId, GuestCode code);

  /** Destroys the instance's domain and marks it destroyed. */
  @ActivityMethod
  void destroy(String instanceId);

  /** Ids of the instances this node runs. */
  @ActivityMethod
  List<String> list();
}

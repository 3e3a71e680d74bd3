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

  /** Destroys the instance's domain and marks it destroyed. */
  @ActivityMethod
  void destroy(String instanceId);

  /** Ids of the instances this node runs. */
  @ActivityMethod
  List<String> list();
}

package dev.faaster.workflows.route;

import dev.faaster.workflows.InstanceOutcome;
import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;
import java.util.List;

/**
 * {@link RouteActivities} for many instances of one function version on the node that runs them
 * (its own task queue). Forward step per instance, undo all or fail, as {@link
 * dev.faaster.workflows.instance.BatchInstanceActivities}.
 */
@ActivityInterface
public interface BatchRouteActivities {

  /**
   * {@link RouteActivities#attach} for each instance.
   *
   * @param instanceIds used for idempotency and compensation correlation ({@link #detachAll})
   * @return one outcome per instance (the routes attached), in the order given
   */
  @ActivityMethod
  List<InstanceOutcome<Integer>> attachAll(List<String> instanceIds, String tenantId, String vpcConfig);

  /**
   * {@link RouteActivities#detach} for each instance; tolerates routes never attached. Every
   * instance is tried; the call fails naming those that could not be detached.
   */
  @ActivityMethod
  void detachAll(List<String> instanceIds);
}

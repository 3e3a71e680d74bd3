package dev.faaster.workflows.route;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;

/**
 * Proxy routes on the node that runs the instance (its own task queue). Idempotent by
 * {@code instanceId}; {@link #detach} tolerates routes that were never attached.
 */
@ActivityInterface
public interface RouteActivities {

  /**
   * Attaches the instance to the tenant's network as its VPC configuration says.
   *
   * @return how many routes were attached (0 for a function without VPC access)
   */
  @ActivityMethod
  int attach(String instanceId, String tenantId, String vpcConfig);

  /** Compensation of {@link #attach}. */
  @ActivityMethod
  void detach(String instanceId);
}

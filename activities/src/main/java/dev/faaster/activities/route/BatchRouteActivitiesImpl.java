package dev.faaster.activities.route;

import dev.faaster.activities.BatchRunner;
import dev.faaster.activities.vm.NodeRole;
import dev.faaster.workflows.InstanceOutcome;
import dev.faaster.workflows.route.BatchRouteActivities;
import dev.faaster.workflows.route.RouteActivities;
import io.micronaut.context.annotation.Requires;
import jakarta.inject.Singleton;
import java.util.List;

/**
 * This node's route steps for a batch: {@link RouteActivities} ({@link DirectRouteActivities} until
 * the net proxy) for each instance through the node's {@link BatchRunner}.
 */
@Singleton
@Requires(property = "faaster.roles", pattern = NodeRole.PATTERN)
public class BatchRouteActivitiesImpl implements BatchRouteActivities {

  private final RouteActivities routes;
  private final BatchRunner runner;

  public BatchRouteActivitiesImpl(RouteActivities routes, BatchRunner runner) {
    this.routes = routes;
    this.runner = runner;
  }

  @Override
  public List<InstanceOutcome<Integer>> attachAll(List<String> instanceIds, String tenantId, String vpcConfig) {
    return runner.each(instanceIds, id -> routes.attach(id, tenantId, vpcConfig));
  }

  @Override
  public void detachAll(List<String> instanceIds) {
    runner.all(instanceIds, routes::detach, "detach");
  }
}

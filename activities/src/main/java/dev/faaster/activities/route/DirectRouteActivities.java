package dev.faaster.activities.route;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.faaster.activities.FaultInjection;
import dev.faaster.activities.vm.NodeRole;
import dev.faaster.workflows.route.RouteActivities;
import io.micronaut.context.annotation.Requires;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes before the net proxy exists: an instance has no VPC attachment, so there is nothing to
 * attach or detach. The step is still in the cold start (and timed) so the net proxy replaces this
 * bean without changing the workflow or its history.
 */
@Singleton
@Requires(property = "faaster.roles", pattern = NodeRole.PATTERN)
public class DirectRouteActivities implements RouteActivities {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Logger log = LoggerFactory.getLogger(DirectRouteActivities.class);

  private final FaultInjection faults;

  public DirectRouteActivities(FaultInjection faults) {
    this.faults = faults;
  }

  @Override
  public int attach(String instanceId, String tenantId, String vpcConfig) {
    faults.pauseBeforeAttachRoutes();
    if (requestsVpcAccess(vpcConfig)) {
      log.warn("instance {} (tenant {}): VPC access requested but the net proxy is not deployed; no routes attached",
          instanceId, tenantId);
    }
    return 0;
  }

  static boolean requestsVpcAccess(String vpcConfig) {
    if (vpcConfig == null || vpcConfig.isBlank()) {
      return false;
    }
    try {
      JsonNode subnets = JSON.readTree(vpcConfig).path("subnetIds");
      return subnets.isArray() && !subnets.isEmpty();
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("unreadable VPC configuration: " + e.getOriginalMessage(), e);
    }
  }

  @Override
  public void detach(String instanceId) {
    // Nothing was attached.
  }
}

package dev.faaster.api.observability;

import io.micronaut.health.HealthStatus;
import io.micronaut.management.health.indicator.AbstractHealthIndicator;
import io.micronaut.management.health.indicator.annotation.Readiness;
import io.temporal.api.workflowservice.v1.GetSystemInfoRequest;
import io.temporal.serviceclient.WorkflowServiceStubs;
import jakarta.inject.Singleton;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Ready only while the workflow service answers: without it nothing can be deployed. */
@Singleton
@Readiness
public class TemporalHealthIndicator extends AbstractHealthIndicator<Map<String, Object>> {

  private final WorkflowServiceStubs service;

  public TemporalHealthIndicator(WorkflowServiceStubs service) {
    this.service = service;
  }

  @Override
  protected Map<String, Object> getHealthInformation() {
    var info =
        service.blockingStub().withDeadlineAfter(2, TimeUnit.SECONDS).getSystemInfo(GetSystemInfoRequest.getDefaultInstance());
    healthStatus = HealthStatus.UP;
    return Map.of("serverVersion", info.getServerVersion());
  }

  @Override
  public String getName() {
    return "temporal";
  }
}

package dev.faaster.worker;

import com.uber.m3.tally.RootScopeBuilder;
import com.uber.m3.tally.Scope;
import com.uber.m3.util.Duration;
import io.micrometer.core.instrument.MeterRegistry;
import io.micronaut.context.annotation.Bean;
import io.micronaut.context.annotation.Factory;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.common.reporter.MicrometerClientStatsReporter;
import io.temporal.serviceclient.OperatorServiceStubs;
import io.temporal.serviceclient.OperatorServiceStubsOptions;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import jakarta.inject.Singleton;

/**
 * The process's one connection to Temporal. Stubs connect lazily, so the API starts (and answers
 * health checks that say Temporal is down) even while Temporal is unreachable.
 */
@Factory
public class TemporalClientFactory {

  @Singleton
  @Bean(preDestroy = "close")
  Scope temporalMetricsScope(MeterRegistry registry) {
    // Temporal reports through tally; this bridges it to the process's Micrometer registry.
    return new RootScopeBuilder()
        .reporter(new MicrometerClientStatsReporter(registry))
        .reportEvery(Duration.ofSeconds(10));
  }

  @Singleton
  @Bean(preDestroy = "shutdown")
  WorkflowServiceStubs workflowServiceStubs(TemporalConfiguration configuration, Scope metricsScope) {
    return WorkflowServiceStubs.newServiceStubs(
        WorkflowServiceStubsOptions.newBuilder()
            .setTarget(configuration.address())
            .setMetricsScope(metricsScope)
            .build());
  }

  @Singleton
  @Bean(preDestroy = "shutdown")
  OperatorServiceStubs operatorServiceStubs(WorkflowServiceStubs workflowService) {
    return OperatorServiceStubs.newServiceStubs(
        OperatorServiceStubsOptions.newBuilder()
            .setChannel(workflowService.getRawChannel())
            .validateAndBuildWithDefaults());
  }

  @Singleton
  WorkflowClient workflowClient(WorkflowServiceStubs service, TemporalConfiguration configuration) {
    return WorkflowClient.newInstance(
        service,
        WorkflowClientOptions.newBuilder()
            .setNamespace(configuration.namespace())
            .setIdentity("faaster@" + ProcessHandle.current().pid())
            .build());
  }
}

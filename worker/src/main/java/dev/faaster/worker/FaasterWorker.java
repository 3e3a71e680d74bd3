package dev.faaster.worker;

import dev.faaster.activities.deploy.DeployActivitiesImpl;
import dev.faaster.activities.schedule.BatchSlotActivitiesImpl;
import dev.faaster.activities.schedule.SlotActivitiesImpl;
import dev.faaster.activities.vm.RegistryTemplateLookup;
import dev.faaster.activities.vm.TemplateRegistryActivitiesImpl;
import dev.faaster.workflows.template.BuildTemplateWorkflowImpl;
import dev.faaster.workflows.TaskQueues;
import dev.faaster.workflows.invoke.AsyncInvocationWorkflowImpl;
import dev.faaster.workflows.coldstart.ColdStartWorkflowImpl;
import dev.faaster.workflows.coldstart.ProvisionInstancesWorkflowImpl;
import dev.faaster.workflows.coldstart.RetireInstanceWorkflowImpl;
import dev.faaster.workflows.coldstart.RetireInstancesWorkflowImpl;
import dev.faaster.workflows.deploy.DeployFunctionWorkflowImpl;
import io.micronaut.context.annotation.Requires;
import io.micronaut.context.event.ShutdownEvent;
import io.micronaut.context.event.StartupEvent;
import io.micronaut.runtime.event.annotation.EventListener;
import io.temporal.client.WorkflowClient;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkerFactory;
import jakarta.inject.Singleton;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Registers workflows and activities on their task queues and polls them; nothing else. */
@Singleton
@Requires(property = "faaster.roles", pattern = WorkerRole.PATTERN)
public class FaasterWorker {

  private static final Logger log = LoggerFactory.getLogger(FaasterWorker.class);

  private final WorkerFactory factory;
  private final SearchAttributeRegistrar searchAttributes;

  public FaasterWorker(
      WorkflowClient client,
      SearchAttributeRegistrar searchAttributes,
      DeployActivitiesImpl deployActivities,
      TemplateRegistryActivitiesImpl templateRegistryActivities,
      RegistryTemplateLookup templateLookup,
      SlotActivitiesImpl slotActivities,
      BatchSlotActivitiesImpl batchSlotActivities) {
    this.searchAttributes = searchAttributes;
    this.factory = WorkerFactory.newInstance(client);
    Worker control = factory.newWorker(TaskQueues.CONTROL);
    control.registerWorkflowImplementationTypes(DeployFunctionWorkflowImpl.class, BuildTemplateWorkflowImpl.class,
        ColdStartWorkflowImpl.class, RetireInstanceWorkflowImpl.class, ProvisionInstancesWorkflowImpl.class,
        RetireInstancesWorkflowImpl.class, AsyncInvocationWorkflowImpl.class);
    // Slot and template steps are local activities of the cold start (and of a provisioning batch):
    // registered here, on the worker that runs its workflow tasks.
    control.registerActivitiesImplementations(deployActivities, templateRegistryActivities, templateLookup,
        slotActivities, batchSlotActivities);
  }

  @EventListener
  void onStartup(StartupEvent event) {
    searchAttributes.ensureRegistered();
    factory.start();
    log.info("worker polling task queue {}", TaskQueues.CONTROL);
  }

  @EventListener
  void onShutdown(ShutdownEvent event) {
    factory.shutdown();
    try {
      // In-flight activities get a moment to finish; Temporal retries whatever doesn't.
      factory.awaitTermination(10, TimeUnit.SECONDS);
    } catch (RuntimeException e) {
      log.warn("worker did not stop cleanly: {}", e.getMessage());
    }
  }
}

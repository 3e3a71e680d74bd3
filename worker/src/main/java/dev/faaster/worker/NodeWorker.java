package dev.faaster.worker;

import dev.faaster.activities.code.BatchCodeActivitiesImpl;
import dev.faaster.activities.code.CachedCodeActivities;
import dev.faaster.activities.route.BatchRouteActivitiesImpl;
import dev.faaster.activities.route.DirectRouteActivities;
import dev.faaster.activities.vm.BatchInstanceActivitiesImpl;
import dev.faaster.activities.vm.LibvirtInstanceActivities;
import dev.faaster.activities.vm.LibvirtTemplateActivities;
import dev.faaster.activities.vm.NodeConfiguration;
import dev.faaster.activities.vm.NodeRole;
import dev.faaster.activities.vm.RegistryTemplateLookup;
import dev.faaster.workflows.NodeTaskQueues;
import dev.faaster.workflows.TaskQueues;
import dev.faaster.workflows.coldstart.ColdStartWorkflowImpl;
import dev.faaster.workflows.template.BuildTemplateRequest;
import dev.faaster.workflows.template.BuildTemplateWorkflow;
import dev.faaster.workflows.template.TemplateResult;
import io.micronaut.context.annotation.Requires;
import io.micronaut.context.event.ShutdownEvent;
import io.micronaut.context.event.StartupEvent;
import io.micronaut.runtime.event.annotation.EventListener;
import io.temporal.api.enums.v1.WorkflowIdConflictPolicy;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkerFactory;
import jakarta.inject.Singleton;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node agent's worker: polls this node's own task queue for VM work and for the cold starts
 * placed on this node, and at start makes sure
 * the node has a current template of every configured runtime (built or reused, with progress in
 * the log and in the Temporal Web UI).
 */
@Singleton
@Requires(property = "faaster.roles", pattern = NodeRole.PATTERN)
public class NodeWorker {

  private static final Logger log = LoggerFactory.getLogger(NodeWorker.class);

  private final WorkflowClient client;
  private final NodeConfiguration node;
  private final WorkerFactory factory;

  public NodeWorker(
      WorkflowClient client,
      NodeConfiguration node,
      LibvirtTemplateActivities templateActivities,
      LibvirtInstanceActivities instanceActivities,
      CachedCodeActivities codeActivities,
      DirectRouteActivities routeActivities,
      BatchInstanceActivitiesImpl batchInstanceActivities,
      BatchCodeActivitiesImpl batchCodeActivities,
      BatchRouteActivitiesImpl batchRouteActivities,
      RegistryTemplateLookup templateLookup) {
    this.client = client;
    this.node = node;
    this.factory = WorkerFactory.newInstance(client);
    Worker worker = factory.newWorker(NodeTaskQueues.of(node.id()));
    // Cold starts placed on this node run here, their node steps (and the template lookup) as local
    // activities of this worker.
    worker.registerWorkflowImplementationTypes(ColdStartWorkflowImpl.class);
    worker.registerActivitiesImplementations(templateActivities, instanceActivities, codeActivities, routeActivities,
        batchInstanceActivities, batchCodeActivities, batchRouteActivities, templateLookup);
  }

  @EventListener
  void onStartup(StartupEvent event) {
    factory.start();
    log.info("node {} polling task queue {}", node.id(), NodeTaskQueues.of(node.id()));
    Thread templates = new Thread(this::ensureTemplates, "template-builds");
    templates.setDaemon(true);
    templates.start();
  }

  /** One BuildTemplateWorkflow per runtime; concurrent starts for the same node join one build. */
  void ensureTemplates() {
    for (String runtime : node.runtimes()) {
      String id = BuildTemplateWorkflow.idOf(node.id(), runtime);
      try {
        log.info("template {}: ensuring it is current (workflow {})", runtime, id);
        long started = System.nanoTime();
        BuildTemplateWorkflow workflow =
            client.newWorkflowStub(
                BuildTemplateWorkflow.class,
                WorkflowOptions.newBuilder()
                    .setTaskQueue(TaskQueues.CONTROL)
                    .setWorkflowId(id)
                    .setWorkflowIdConflictPolicy(WorkflowIdConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING)
                    .build());
        TemplateResult result = workflow.build(new BuildTemplateRequest(node.id(), runtime));
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started);
        log.info("template {}: {} ({}){}", runtime, result.reused() ? "reused" : "built", result.templateId(),
            result.reused() ? "" : " in " + seconds + " s, base VM boot " + result.bootMillis() + " ms");
      } catch (RuntimeException e) {
        log.error("template {}: could not be built: {}", runtime, e.getMessage());
      }
    }
  }

  @EventListener
  void onShutdown(ShutdownEvent event) {
    factory.shutdown();
    try {
      factory.awaitTermination(10, TimeUnit.SECONDS);
    } catch (RuntimeException e) {
      log.warn("node worker did not stop cleanly: {}", e.getMessage());
    }
  }
}

package dev.faaster.api.invoke;

import dev.faaster.api.ApiRole;
import dev.faaster.workflows.TaskQueues;
import io.micronaut.context.annotation.Requires;
import io.micronaut.context.event.ShutdownEvent;
import io.micronaut.context.event.StartupEvent;
import io.micronaut.runtime.event.annotation.EventListener;
import io.temporal.client.WorkflowClient;
import io.temporal.worker.WorkerFactory;
import jakarta.inject.Singleton;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Polls {@link TaskQueues#INVOKE} in every process with the api role: the invocation step of an
 * asynchronous invocation runs where a router runs. (The workflows themselves run on the worker
 * role's control queue.) {@code faaster.invocations.async.enabled=false} keeps a process out of
 * it (events then wait for another api process; the HTTP tests, which have no Temporal server).
 */
@Singleton
@Requires(property = "faaster.roles", pattern = ApiRole.PATTERN)
@Requires(property = "faaster.invocations.async.enabled", notEquals = "false")
public class AsyncInvocationWorker {

  private static final Logger log = LoggerFactory.getLogger(AsyncInvocationWorker.class);

  private final WorkerFactory factory;

  public AsyncInvocationWorker(WorkflowClient client, RouterInvokeActivities activities) {
    this.factory = WorkerFactory.newInstance(client);
    factory.newWorker(TaskQueues.INVOKE).registerActivitiesImplementations(activities);
  }

  @EventListener
  void onStartup(StartupEvent event) {
    factory.start();
    log.info("polling task queue {} for asynchronous invocations", TaskQueues.INVOKE);
  }

  @EventListener
  void onShutdown(ShutdownEvent event) {
    factory.shutdown();
    try {
      factory.awaitTermination(10, TimeUnit.SECONDS);
    } catch (RuntimeException e) {
      log.warn("asynchronous invocation worker did not stop cleanly: {}", e.getMessage());
    }
  }
}

package dev.faaster.workflows.template;

import dev.faaster.workflows.NodeTaskQueues;
import io.temporal.activity.ActivityOptions;
import io.temporal.common.RetryOptions;
import io.temporal.failure.TemporalFailure;
import io.temporal.workflow.Saga;
import io.temporal.workflow.Workflow;
import java.time.Duration;
import org.slf4j.Logger;

/** Deterministic template build: reuse when the inputs match, else boot, snapshot and record. */
public class BuildTemplateWorkflowImpl implements BuildTemplateWorkflow {

  private static final Logger log = Workflow.getLogger(BuildTemplateWorkflowImpl.class);

  private static final RetryOptions RETRY =
      RetryOptions.newBuilder()
          .setInitialInterval(Duration.ofSeconds(1))
          .setBackoffCoefficient(2.0)
          .setMaximumInterval(Duration.ofSeconds(30))
          .setMaximumAttempts(5)
          .setDoNotRetry(TemplateFailureTypes.all())
          .build();

  private final TemplateRegistryActivities registry =
      Workflow.newActivityStub(
          TemplateRegistryActivities.class,
          ActivityOptions.newBuilder().setStartToCloseTimeout(Duration.ofSeconds(30)).setRetryOptions(RETRY).build());

  @Override
  public TemplateResult build(BuildTemplateRequest request) {
    TemplateNodeActivities node =
        Workflow.newActivityStub(
            TemplateNodeActivities.class,
            ActivityOptions.newBuilder()
                .setTaskQueue(NodeTaskQueues.of(request.nodeId()))
                // A TCG boot takes seconds; a hung one is noticed by the missing heartbeat.
                .setStartToCloseTimeout(Duration.ofMinutes(5))
                .setHeartbeatTimeout(Duration.ofSeconds(30))
                .setRetryOptions(RETRY)
                .build());

    TemplateInputs inputs = node.describeInputs(request.runtime());
    TemplateResult existing = registry.findReady(request.nodeId(), request.runtime(), inputs.inputsDigest());
    if (existing != null && node.holdsTemplate(existing.templateId())) {
      log.info("template of {} on {} is current ({}); reused", request.runtime(), request.nodeId(), existing.templateId());
      return new TemplateResult(existing.templateId(), request.runtime(), inputs.inputsDigest(), true, 0);
    }

    String templateId = Workflow.randomUUID().toString();
    Saga saga = new Saga(new Saga.Options.Builder().build());
    try {
      saga.addCompensation(node::deleteTemplate, templateId);
      BuiltTemplate built = node.bootAndSnapshot(templateId, inputs);
      registry.recordTemplate(request.nodeId(), templateId, inputs, built);
      log.info("built template {} of {} on {} (boot {} ms)", templateId, request.runtime(), request.nodeId(), built.bootMillis());
      return new TemplateResult(templateId, request.runtime(), inputs.inputsDigest(), false, built.bootMillis());
    } catch (TemporalFailure failure) {
      Workflow.newDetachedCancellationScope(saga::compensate).run();
      throw failure;
    }
  }
}

package dev.faaster.activities.vm;

import dev.faaster.registry.TemplateRecord;
import dev.faaster.registry.TemplateRepository;
import dev.faaster.workflows.coldstart.TemplateLookupActivities;
import dev.faaster.workflows.instance.InstanceFailureTypes;
import io.temporal.failure.ApplicationFailure;
import jakarta.inject.Singleton;
import java.util.Comparator;

/** The template a cold start restores from: the node's newest READY one of the runtime. */
@Singleton
public class RegistryTemplateLookup implements TemplateLookupActivities {

  private final TemplateRepository templates;

  public RegistryTemplateLookup(TemplateRepository templates) {
    this.templates = templates;
  }

  @Override
  public String currentTemplate(String nodeId, String runtime) {
    return templates.findByNodeIdAndRuntimeAndStatus(nodeId, runtime, TemplateRecord.READY).stream()
        .max(Comparator.comparing(TemplateRecord::createdAt))
        .map(TemplateRecord::id)
        .orElseThrow(() -> ApplicationFailure.newNonRetryableFailure(
            "node " + nodeId + " has no ready " + runtime + " template yet (it is built when the node starts)",
            InstanceFailureTypes.TEMPLATE_NOT_ON_NODE));
  }
}

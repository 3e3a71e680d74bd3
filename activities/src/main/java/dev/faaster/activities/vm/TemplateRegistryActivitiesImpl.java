package dev.faaster.activities.vm;

import dev.faaster.registry.TemplateRecord;
import dev.faaster.registry.TemplateRepository;
import dev.faaster.workflows.template.BuiltTemplate;
import dev.faaster.workflows.template.TemplateInputs;
import dev.faaster.workflows.template.TemplateRegistryActivities;
import dev.faaster.workflows.template.TemplateResult;
import jakarta.inject.Singleton;
import jakarta.transaction.Transactional;
import java.time.Clock;

/** Template records in the registry database. */
@Singleton
public class TemplateRegistryActivitiesImpl implements TemplateRegistryActivities {

  private final TemplateRepository templates;
  private final Clock clock;

  public TemplateRegistryActivitiesImpl(TemplateRepository templates, Clock clock) {
    this.templates = templates;
    this.clock = clock;
  }

  @Override
  public TemplateResult findReady(String nodeId, String runtime, String inputsDigest) {
    return templates
        .findByNodeIdAndRuntimeAndInputsDigest(nodeId, runtime, inputsDigest)
        .filter(t -> TemplateRecord.READY.equals(t.status()))
        .map(t -> new TemplateResult(t.id(), t.runtime(), t.inputsDigest(), true, t.bootMillis()))
        .orElse(null);
  }

  @Override
  @Transactional
  public void recordTemplate(String nodeId, String templateId, TemplateInputs inputs, BuiltTemplate built) {
    if (templates.existsById(templateId)) {
      return;
    }
    // A template with the same inputs that is no longer READY (its files were lost) gives way.
    templates.findByNodeIdAndRuntimeAndInputsDigest(nodeId, inputs.runtime(), inputs.inputsDigest()).ifPresent(templates::delete);
    templates.save(
        new TemplateRecord(templateId, nodeId, inputs.runtime(), inputs.inputsDigest(), inputs.kernelDigest(),
            inputs.initramfsDigest(), inputs.qemuVersion(), inputs.machine(), inputs.accelerator(), inputs.memoryMb(),
            built.memoryPath(), built.statePath(), built.stateBytes(), built.bootMillis(), TemplateRecord.READY, clock.instant()));
    templates.retireOthers(nodeId, inputs.runtime(), templateId);
  }
}

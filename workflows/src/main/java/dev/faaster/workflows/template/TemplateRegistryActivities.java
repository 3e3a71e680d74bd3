package dev.faaster.workflows.template;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;

/** Template records in the registry. */
@ActivityInterface
public interface TemplateRegistryActivities {

  /** The READY template of the node and runtime built from exactly these inputs, or null. */
  @ActivityMethod
  TemplateResult findReady(String nodeId, String runtime, String inputsDigest);

  /** Records a new READY template and retires the node's older ones of the runtime. Idempotent by id. */
  @ActivityMethod
  void recordTemplate(String nodeId, String templateId, TemplateInputs inputs, BuiltTemplate built);
}

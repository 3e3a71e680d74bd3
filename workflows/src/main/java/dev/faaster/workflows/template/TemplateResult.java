package dev.faaster.workflows.template;

/**
 * The template a runtime's instances on a node are restored from.
 *
 * @param templateId registry id
 * @param reused true when a template with the same inputs already existed
 * @param bootMillis how long the base VM took to boot (0 when reused)
 */
public record TemplateResult(String templateId, String runtime, String inputsDigest, boolean reused, long bootMillis) {}

package dev.faaster.workflows.deploy;

/** Workflow ids of deploys: one per (tenant, function, version). */
public final class DeployWorkflowIds {

  private DeployWorkflowIds() {}

  /** Function ids (not names) keep a deleted-and-recreated function from colliding with its past. */
  public static String of(String tenantId, String functionId, int version) {
    return "deploy/" + tenantId + "/" + functionId + "/" + version;
  }
}

package dev.faaster.workflows.coldstart;

/** Workflow ids of an instance's lifecycle: one cold start and one retirement per instance. */
public final class ColdStartWorkflowIds {

  private ColdStartWorkflowIds() {}

  public static String of(String instanceId) {
    return "coldstart-" + instanceId;
  }

  public static String retireOf(String instanceId) {
    return "retire-" + instanceId;
  }
}

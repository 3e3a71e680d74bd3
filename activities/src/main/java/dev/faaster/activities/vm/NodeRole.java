package dev.faaster.activities.vm;

/** The {@code faaster.roles} pattern that makes this process a node agent (owns VMs). */
public final class NodeRole {

  public static final String PATTERN = "(.*,)?\\s*node\\s*(,.*)?";

  private NodeRole() {}
}

package dev.faaster.registry;

/** Where a deploy stands. Only PENDING moves, and only to one of the two others. */
public enum DeploymentStatus {
  PENDING,
  SUCCEEDED,
  FAILED
}

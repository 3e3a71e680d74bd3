package dev.faaster.workflows.coldstart;

/** How a cold start gets its VM. */
public enum StartMode {
  /** Copy-on-write restore of the runtime's saved template: milliseconds. */
  RESTORE,
  /** A full boot of the runtime's image, as without templates: seconds. Kept to measure against. */
  BOOT
}

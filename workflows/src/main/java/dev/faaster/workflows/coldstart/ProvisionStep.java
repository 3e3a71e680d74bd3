package dev.faaster.workflows.coldstart;

/** The step of a provisioning batch at which an instance failed. */
public enum ProvisionStep {
  /** Taking a slot (no capacity left for it, or unsupported memory). */
  SCHEDULE,
  /** Finding the node's template of the runtime (none READY on the slot's node). */
  TEMPLATE,
  /** Restoring (or booting) its VM. */
  VM,
  /** Making the code usable on its node. */
  CODE,
  /** Attaching its proxy routes. */
  NETWORK,
  /** Loading the code into its guest. */
  LOAD
}

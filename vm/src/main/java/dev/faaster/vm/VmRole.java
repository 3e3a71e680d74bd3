package dev.faaster.vm;

/** What a domain built from a {@link VmDefinition} is for; the only thing its XML varies by. */
public enum VmRole {
  /**
   * Boots the guest; its RAM is the template memory file mapped shared, so the booted guest's
   * memory ends up in the file.
   */
  TEMPLATE,
  /**
   * Maps the template memory file private (copy-on-write) and starts with {@code -incoming defer},
   * waiting for the template's device state.
   */
  CLONE,
  /**
   * Boots the guest with plain anonymous RAM, as a platform without templates starts every
   * instance: the template's devices and kernel, no template memory file. The baseline restores
   * are measured against, and the cold start mode of functions that opt out of snapshots.
   */
  BOOT
}

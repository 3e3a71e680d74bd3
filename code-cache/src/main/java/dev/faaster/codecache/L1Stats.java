package dev.faaster.codecache;

/**
 * The node cache at one moment.
 *
 * @param entries entries on disk
 * @param usedBytes their total size
 * @param maxBytes the bound
 * @param pinnedEntries entries with at least one open lease
 * @param unverifiedEntries entries found at start whose digest hasn't been checked yet
 */
public record L1Stats(int entries, long usedBytes, long maxBytes, int pinnedEntries, int unverifiedEntries) {}

package dev.faaster.packagestore;

/**
 * A package that passed inspection.
 *
 * @param entries number of zip entries
 * @param uncompressedBytes bytes actually inflated (not the sizes the zip claims)
 */
public record PackageSummary(int entries, long uncompressedBytes) {}

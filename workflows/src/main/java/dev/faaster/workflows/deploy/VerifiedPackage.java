package dev.faaster.workflows.deploy;

/**
 * What verification learned about a staged package.
 *
 * @param sha256 digest recomputed from the stored bytes
 * @param sizeBytes compressed size
 * @param entries number of zip entries
 * @param uncompressedBytes total size once extracted
 */
public record VerifiedPackage(String sha256, long sizeBytes, int entries, long uncompressedBytes) {}

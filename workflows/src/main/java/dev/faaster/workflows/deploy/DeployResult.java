package dev.faaster.workflows.deploy;

/**
 * Outcome of a successful deploy.
 *
 * @param deploymentId the deployment record
 * @param version the published version number
 * @param packageKey content-addressed object key the version's code lives under
 * @param sha256 digest of the package
 * @param sizeBytes size of the package
 * @param zoneCacheWarmed whether the L2 zone cache holds the package now
 */
public record DeployResult(
    String deploymentId, int version, String packageKey, String sha256, long sizeBytes, boolean zoneCacheWarmed) {}

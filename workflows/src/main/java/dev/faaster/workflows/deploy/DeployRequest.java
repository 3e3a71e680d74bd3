package dev.faaster.workflows.deploy;

/**
 * Input of one deploy: publishing version {@code version} of a function from its staged $LATEST
 * package. Environment variables and other configuration are not carried here (they would be
 * visible in workflow history); the deployment record holds the configuration snapshot.
 *
 * @param deploymentId id of the deployment record; makes every activity call idempotent
 * @param tenantId owner of the function
 * @param functionId registry id of the function
 * @param functionName name of the function (for logs and search attributes)
 * @param version version number reserved for this deploy
 * @param stagingKey object key of the staged $LATEST package in the object store
 * @param sha256 lowercase hex sha256 the API computed while the package was uploaded
 * @param sizeBytes size of the package in bytes
 */
public record DeployRequest(
    String deploymentId,
    String tenantId,
    String functionId,
    String functionName,
    int version,
    String stagingKey,
    String sha256,
    long sizeBytes) {}

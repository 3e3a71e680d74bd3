package dev.faaster.workflows.coldstart;

import java.util.Map;

/**
 * Everything a cold start needs, resolved by the caller from the published version so the workflow
 * does no lookups.
 *
 * @param instanceId the new instance's id; the workflow id is {@link ColdStartWorkflowIds#of}
 * @param tenantId owner of the function
 * @param functionId function record id
 * @param functionName function name (for logs and the guest)
 * @param version published version number
 * @param runtime runtime whose template is restored ({@code provided}, {@code python3})
 * @param handler {@code module.function} for python3; null for provided
 * @param memoryMb the function's memory: the slot flavor is the smallest that holds it
 * @param codeSha256 the package digest
 * @param environment environment variables given to the function
 * @param vpcConfig the function's VPC configuration (JSON) for the proxy routes
 * @param mode restore a template or boot a fresh VM
 * @param placement the slot the caller already reserved (the workflow then runs on that node's
 *     task queue, its node steps local); null: the workflow reserves one on the control queue
 */
public record ColdStartRequest(
    String instanceId,
    String tenantId,
    String functionId,
    String functionName,
    int version,
    String runtime,
    String handler,
    int memoryMb,
    String codeSha256,
    Map<String, String> environment,
    String vpcConfig,
    StartMode mode,
    NodePlacement placement) {

  /** A cold start that reserves its own slot. */
  public ColdStartRequest(
      String instanceId,
      String tenantId,
      String functionId,
      String functionName,
      int version,
      String runtime,
      String handler,
      int memoryMb,
      String codeSha256,
      Map<String, String> environment,
      String vpcConfig,
      StartMode mode) {
    this(instanceId, tenantId, functionId, functionName, version, runtime, handler, memoryMb, codeSha256, environment,
        vpcConfig, mode, null);
  }

  /** This request, placed on a slot the caller reserved. */
  public ColdStartRequest placedOn(NodePlacement placement) {
    return new ColdStartRequest(instanceId, tenantId, functionId, functionName, version, runtime, handler, memoryMb,
        codeSha256, environment, vpcConfig, mode, placement);
  }
}

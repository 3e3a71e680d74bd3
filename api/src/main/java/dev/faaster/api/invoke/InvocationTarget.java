package dev.faaster.api.invoke;

import dev.faaster.registry.FunctionVersion;
import java.util.Map;

/**
 * A resolved invocation: which version of which function, and the function's invocation settings.
 *
 * @param tenantId owner
 * @param tenantName owner's name (search attribute of the cold start workflow)
 * @param functionId function record id
 * @param functionName function name
 * @param version the published version chosen for this invocation
 * @param environment the version's environment, decoded
 * @param snapStart cold starts restore a template (true) or boot a full VM
 * @param concurrencyLimit how many invocations of the function may run at once
 */
public record InvocationTarget(
    String tenantId,
    String tenantName,
    String functionId,
    String functionName,
    FunctionVersion version,
    Map<String, String> environment,
    boolean snapStart,
    int concurrencyLimit) {

  public int versionNumber() {
    return version.version();
  }
}

package dev.faaster.api.invoke;

import dev.faaster.workflows.coldstart.ColdStartRequest;
import dev.faaster.workflows.coldstart.ColdStartResult;
import java.util.concurrent.CompletionStage;

/** Brings up one new instance: the router's only way to make one. */
public interface ColdStarter {

  /**
   * Starts the cold start of {@code request.instanceId()} and returns at once.
   *
   * @param tenantName the owner's name, for operators filtering the Web UI
   * @return completes with the ready instance, or fails with a {@link ColdStartFailedException}
   */
  CompletionStage<ColdStartResult> start(ColdStartRequest request, String tenantName);
}

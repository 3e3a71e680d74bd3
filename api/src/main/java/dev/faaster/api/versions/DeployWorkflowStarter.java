package dev.faaster.api.versions;

import dev.faaster.workflows.deploy.DeployRequest;
import dev.faaster.workflows.deploy.DeployResult;
import java.time.Duration;
import java.util.Optional;

/** Starts deploy workflows and waits for them: the API's only contact with Temporal for deploys. */
public interface DeployWorkflowStarter {

  /**
   * Starts the deploy under {@code workflowId}; starting one that already exists is not an error.
   *
   * @throws DeployNotStartedException when the workflow service can't be reached
   */
  void start(String workflowId, DeployRequest request, String tenantName);

  /**
   * Waits up to {@code timeout} for the deploy to finish.
   *
   * @return the result, or empty when it is still running
   * @throws DeployFailedException when the workflow failed
   */
  Optional<DeployResult> await(String workflowId, Duration timeout);
}

package dev.faaster.api.invoke;

/** Tells where an instance's cold start is: the orphan reconciler's only question to Temporal. */
public interface ColdStartProbe {

  /**
   * @throws RuntimeException when it cannot tell (the workflow service is unreachable); the caller
   *     asks again later
   */
  ColdStartState stateOf(String instanceId);
}

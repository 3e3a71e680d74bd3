package dev.faaster.api.invoke;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/** Answers with the state the test set per instance; an instance it never heard of is still starting. */
final class ScriptedColdStartProbe implements ColdStartProbe {

  private final Map<String, ColdStartState> states = new ConcurrentHashMap<>();
  private final List<String> asked = new CopyOnWriteArrayList<>();
  private volatile RuntimeException failure;

  void set(String instanceId, ColdStartState state) {
    states.put(instanceId, state);
  }

  /** Every lookup fails with {@code e} until cleared with null. */
  void failWith(RuntimeException e) {
    failure = e;
  }

  List<String> asked() {
    return List.copyOf(asked);
  }

  @Override
  public ColdStartState stateOf(String instanceId) {
    asked.add(instanceId);
    if (failure != null) {
      throw failure;
    }
    return states.getOrDefault(instanceId, ColdStartState.running());
  }
}

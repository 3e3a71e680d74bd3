package dev.faaster.api.invoke;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** Counts each function's invocations in flight and admits one only below the function's limit. */
final class ConcurrencyLimiter {

  private final Map<String, AtomicInteger> inFlight = new ConcurrentHashMap<>();

  /** Admits one invocation of {@code functionId} if fewer than {@code limit} are in flight. */
  boolean tryAcquire(String functionId, int limit) {
    AtomicInteger count = inFlight.computeIfAbsent(functionId, id -> new AtomicInteger());
    while (true) {
      int current = count.get();
      if (current >= limit) {
        return false;
      }
      if (count.compareAndSet(current, current + 1)) {
        return true;
      }
    }
  }

  void release(String functionId) {
    AtomicInteger count = inFlight.get(functionId);
    if (count != null) {
      count.decrementAndGet();
    }
  }

  int inFlight(String functionId) {
    AtomicInteger count = inFlight.get(functionId);
    return count == null ? 0 : count.get();
  }
}

package dev.faaster.api.invoke;

import dev.faaster.workflows.coldstart.ColdStartResult;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;

/**
 * One instance of a function version as the router sees it: starting or ready, and how many
 * invocations hold it. Mutable state is guarded by its {@link InstancePool}'s lock.
 */
final class PooledInstance {

  final String id;
  final CompletableFuture<ColdStartResult> ready = new CompletableFuture<>();
  ColdStartResult started;
  int leases;
  /** Invocations in a row whose node could not be reached; at a bound the instance is given up. */
  final java.util.concurrent.atomic.AtomicInteger unreachable = new java.util.concurrent.atomic.AtomicInteger();
  Instant lastUsed;
  boolean retired;

  PooledInstance(String id, Instant now) {
    this.id = id;
    this.lastUsed = now;
  }

  boolean isReady() {
    return started != null;
  }
}

package dev.faaster.api.invoke;

import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.core.bind.annotation.Bindable;
import java.time.Duration;

/**
 * How the router behaves ({@code faaster.invocations.*}).
 *
 * @param instanceConcurrency invocations one instance runs at once (Lambda: 1)
 * @param defaultConcurrencyLimit concurrent invocations of a function without reserved concurrency
 * @param maxReservedConcurrency the highest reserved concurrency a function may set
 * @param keepAlive how long an idle instance stays warm before it is retired
 * @param reapInterval how often idle instances are looked for
 * @param maxPayloadBytes the largest event accepted (Lambda: 6 MiB)
 * @param eagerStart whether cold starts ask Temporal for eager workflow start (the workflow's first
 *     task handed back to this process's worker in the start response)
 * @param placeOnNode whether a router in a process that holds the scheduler's free lists (role
 *     {@code worker}) reserves the slot itself and starts the cold start on the slot's node queue,
 *     whose worker runs its node steps as local activities (false: the workflow reserves the slot
 *     and dispatches each node step as an activity; measure with it off)
 * @param coldStartWait the least time a request waits for its instance to become ready; the wait is
 *     the longer of this and the function's timeout (as Lambda's 10 s init phase is separate from it)
 * @param invokeGrace time beyond the function's timeout the router waits for the guest's own
 *     timeout reply before it declares the invocation timed out itself
 * @param agentConnectTimeout how long connecting to a new instance's agent socket may take
 */
@ConfigurationProperties("faaster.invocations")
public record InvocationSettings(
    @Bindable(defaultValue = "1") int instanceConcurrency,
    @Bindable(defaultValue = "100") int defaultConcurrencyLimit,
    @Bindable(defaultValue = "1000") int maxReservedConcurrency,
    @Bindable(defaultValue = "10m") Duration keepAlive,
    @Bindable(defaultValue = "30s") Duration reapInterval,
    @Bindable(defaultValue = "6291456") int maxPayloadBytes,
    @Bindable(defaultValue = "true") boolean eagerStart,
    @Bindable(defaultValue = "true") boolean placeOnNode,
    @Bindable(defaultValue = "10s") Duration coldStartWait,
    @Bindable(defaultValue = "1s") Duration invokeGrace,
    @Bindable(defaultValue = "5s") Duration agentConnectTimeout) {

  /** How long a request waits for a new instance of a function with this timeout: the longer of the two. */
  public Duration coldStartWaitFor(Duration functionTimeout) {
    return functionTimeout.compareTo(coldStartWait) > 0 ? functionTimeout : coldStartWait;
  }
}

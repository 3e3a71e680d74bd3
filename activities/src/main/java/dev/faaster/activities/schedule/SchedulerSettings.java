package dev.faaster.activities.schedule;

import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.core.bind.annotation.Bindable;
import java.time.Duration;

/**
 * The control plane's side of scheduling.
 *
 * @param nodeTimeout a node whose last heartbeat is older is lost
 * @param checkInterval how often liveness is checked
 * @param resyncInterval how often the free lists are reloaded from the registry (slots freed by
 *     other control processes, nodes that joined)
 * @param rebalanceInterval how often flavors are rebalanced
 * @param rebalanceMinFree free slots each flavor should keep (the rebalancer splits and merges for it)
 * @param rebalanceMaxActions splits and merges per rebalance pass at most
 */
@ConfigurationProperties("faaster.scheduler")
public record SchedulerSettings(
    @Bindable(defaultValue = "10s") Duration nodeTimeout,
    @Bindable(defaultValue = "2s") Duration checkInterval,
    @Bindable(defaultValue = "5s") Duration resyncInterval,
    @Bindable(defaultValue = "5s") Duration rebalanceInterval,
    @Bindable(defaultValue = "1") int rebalanceMinFree,
    @Bindable(defaultValue = "16") int rebalanceMaxActions) {}

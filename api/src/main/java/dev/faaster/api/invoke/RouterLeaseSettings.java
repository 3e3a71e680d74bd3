package dev.faaster.api.invoke;

import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.core.bind.annotation.Bindable;
import java.time.Duration;

/**
 * How routers prove they are alive and how their orphans are found ({@code faaster.invocations.*}).
 *
 * @param routerHeartbeat how often a router renews its row
 * @param routerLease a router silent this long is GONE: its instances are retired by a live one
 * @param routerReconcileInterval how often a live router looks for GONE routers' instances
 * @param routerRetention how long the row of a GONE router that owns nothing more is kept, for operators
 */
@ConfigurationProperties("faaster.invocations")
public record RouterLeaseSettings(
    @Bindable(defaultValue = "5s") Duration routerHeartbeat,
    @Bindable(defaultValue = "30s") Duration routerLease,
    @Bindable(defaultValue = "15s") Duration routerReconcileInterval,
    @Bindable(defaultValue = "1h") Duration routerRetention) {}

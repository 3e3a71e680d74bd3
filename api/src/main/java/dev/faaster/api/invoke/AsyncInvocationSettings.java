package dev.faaster.api.invoke;

import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.core.bind.annotation.Bindable;
import java.time.Duration;

/**
 * Asynchronous invocations ({@code faaster.invocations.async.*}).
 *
 * @param maxPayloadBytes the largest event accepted (Lambda: 256 KiB for events; they live in the
 *     workflow's history)
 * @param maxAttempts attempts per event, the first included (Lambda: 1 + 2 retries)
 * @param maxEventAge how long an event the platform keeps refusing (throttled, no capacity) is retried
 * @param resultBytes the largest response kept as the event's result; a larger one is reported by
 *     its size only
 * @param enabled whether this api process runs the invocation steps of events (polls the
 *     faaster-invoke queue); events are accepted either way
 */
@ConfigurationProperties("faaster.invocations.async")
public record AsyncInvocationSettings(
    @Bindable(defaultValue = "262144") int maxPayloadBytes,
    @Bindable(defaultValue = "3") int maxAttempts,
    @Bindable(defaultValue = "6h") Duration maxEventAge,
    @Bindable(defaultValue = "262144") int resultBytes,
    @Bindable(defaultValue = "true") boolean enabled) {}

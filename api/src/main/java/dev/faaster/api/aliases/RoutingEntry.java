package dev.faaster.api.aliases;

import io.micronaut.serde.annotation.Serdeable;

/**
 * Part of an alias's traffic.
 *
 * @param version a published version number
 * @param weight percent of invocations, 1 to 100
 */
@Serdeable
public record RoutingEntry(int version, int weight) {}

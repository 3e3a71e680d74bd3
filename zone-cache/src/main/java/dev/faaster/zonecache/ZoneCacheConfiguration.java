package dev.faaster.zonecache;

import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.core.annotation.Nullable;
import java.time.Duration;

/**
 * The zone cache's own settings ({@code faaster.zone-cache.*}).
 *
 * @param directory where entries live: {@code packages/<sha256>.zip}, and {@code tmp/} for fills in progress
 * @param maxBytes size bound of all entries together; also the largest package the cache accepts
 * @param evictionGrace entries used more recently than this are never evicted
 * @param nodeToken the bearer secret the zone's nodes (and the deploy workflow) send; required
 */
@ConfigurationProperties("faaster.zone-cache")
public record ZoneCacheConfiguration(String directory, long maxBytes, Duration evictionGrace, @Nullable String nodeToken) {}

package dev.faaster.packagestore;

import io.micronaut.context.annotation.ConfigurationProperties;

/**
 * Limits a code package must respect.
 *
 * @param maxBytes compressed size
 * @param maxUncompressedBytes total size of all entries once extracted
 * @param maxEntries number of entries
 * @param maxExpansionRatio uncompressed / compressed size above which the zip is a bomb
 */
@ConfigurationProperties("faaster.packages")
public record PackageLimits(long maxBytes, long maxUncompressedBytes, int maxEntries, int maxExpansionRatio) {}

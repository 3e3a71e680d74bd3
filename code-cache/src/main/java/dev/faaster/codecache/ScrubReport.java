package dev.faaster.codecache;

/**
 * What one scrub found.
 *
 * @param verified entries whose bytes hash to their digest
 * @param corrupt entries that didn't; evicted (and refetched in the background when a tenant to
 *     fetch them for is known)
 * @param skipped entries being loaded by someone else at the time
 */
public record ScrubReport(int verified, int corrupt, int skipped) {}

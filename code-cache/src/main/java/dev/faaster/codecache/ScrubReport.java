package dev.faaster.codecache;

/**
 * What one scrub found.
 *
 * @param verified entries whose bytes hash to their digest
 * @param corrupt entries that didn't; evicted (and refetched in the background when a tenant to
 *     fetch them for is known)
 * @param skipped entries being loaded by someone else at the time
 * @param corruptTrees unpacked packages whose files no longer match their manifest; removed (the
 *     next use unpacks them again from the verified entry)
 */
public record ScrubReport(int verified, int corrupt, int skipped, int corruptTrees) {

  /** A report of entries only (no unpacked package was corrupt). */
  public ScrubReport(int verified, int corrupt, int skipped) {
    this(verified, corrupt, skipped, 0);
  }
}

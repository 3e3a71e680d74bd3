package dev.faaster.packagestore;

import jakarta.inject.Singleton;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * Decides whether a zip is safe to extract into a guest: no absolute or escaping paths, no more
 * entries or bytes than the limits, no zip bomb. Sizes are measured by inflating every entry with a
 * running cap, never taken from the headers, which an attacker writes.
 */
@Singleton
public class PackageInspector {

  /** Below this many inflated bytes, any ratio is harmless (tiny text files compress very well). */
  static final long RATIO_FLOOR_BYTES = 1L << 20;

  private final PackageLimits limits;

  public PackageInspector(PackageLimits limits) {
    this.limits = limits;
  }

  public PackageSummary inspect(Path zip) throws InvalidPackageException, IOException {
    long compressedSize = Files.size(zip);
    if (compressedSize == 0) {
      throw new InvalidPackageException(PackageProblem.PACKAGE_EMPTY, "The code package is empty.");
    }
    if (compressedSize > limits.maxBytes()) {
      throw new InvalidPackageException(
          PackageProblem.PACKAGE_TOO_LARGE,
          "The code package is " + compressedSize + " bytes; the limit is " + limits.maxBytes() + " bytes.");
    }
    // Past both of these, the archive expands too far: the smaller one is the effective cap.
    long ratioCap = Math.max(RATIO_FLOOR_BYTES, compressedSize * (long) limits.maxExpansionRatio());
    long cap = Math.min(limits.maxUncompressedBytes(), ratioCap);
    try (ZipFile file = new ZipFile(zip.toFile())) {
      int entries = 0;
      long inflated = 0;
      byte[] buffer = new byte[64 * 1024];
      Enumeration<? extends ZipEntry> all = file.entries();
      while (all.hasMoreElements()) {
        ZipEntry entry = all.nextElement();
        if (++entries > limits.maxEntries()) {
          throw new InvalidPackageException(
              PackageProblem.TOO_MANY_ENTRIES,
              "The code package has more than " + limits.maxEntries() + " entries.");
        }
        checkPath(entry.getName());
        if (entry.isDirectory()) {
          continue;
        }
        try (InputStream in = file.getInputStream(entry)) {
          int read;
          while ((read = in.read(buffer)) != -1) {
            inflated += read;
            if (inflated > cap) {
              throw zipBomb(compressedSize, cap);
            }
          }
        }
      }
      if (entries == 0) {
        throw new InvalidPackageException(PackageProblem.PACKAGE_EMPTY, "The code package has no entries.");
      }
      return new PackageSummary(entries, inflated);
    } catch (ZipException e) {
      throw new InvalidPackageException(
          PackageProblem.NOT_A_ZIP, "The code package is not a valid zip file (" + e.getMessage() + ").");
    }
  }

  private InvalidPackageException zipBomb(long compressedSize, long cap) {
    return new InvalidPackageException(
        PackageProblem.ZIP_BOMB,
        "The code package expands beyond "
            + cap
            + " bytes from "
            + compressedSize
            + " (limits: "
            + limits.maxUncompressedBytes()
            + " bytes unzipped, "
            + limits.maxExpansionRatio()
            + "x expansion).");
  }

  /** Entry names must stay inside the directory they are extracted to. */
  static void checkPath(String name) throws InvalidPackageException {
    String normalized = name.replace('\\', '/');
    boolean absolute = normalized.startsWith("/") || (normalized.length() > 1 && normalized.charAt(1) == ':');
    boolean escapes = false;
    for (String segment : normalized.split("/")) {
      if (segment.equals("..")) {
        escapes = true;
        break;
      }
    }
    if (absolute || escapes || name.indexOf('\0') >= 0 || name.isEmpty()) {
      throw new InvalidPackageException(
          PackageProblem.UNSAFE_PATH,
          "The code package contains the entry '"
              + name.replace("\0", "\\0")
              + "', which is absolute or leaves the package directory.");
    }
  }
}

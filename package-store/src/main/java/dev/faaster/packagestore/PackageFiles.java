package dev.faaster.packagestore;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Packages on local disk while they are checked: hashed as they are written, bounded in size. */
public final class PackageFiles {

  private static final Logger log = LoggerFactory.getLogger(PackageFiles.class);

  private PackageFiles() {}

  /**
   * A digest and a size.
   *
   * @param sha256 lowercase hex
   * @param sizeBytes bytes written
   */
  public record Written(String sha256, long sizeBytes) {}

  /** A new empty file in {@code directory} (created if needed) for one package. */
  public static Path newScratchFile(Path directory, String prefix) throws IOException {
    Files.createDirectories(directory);
    return Files.createTempFile(directory, prefix, ".zip");
  }

  /**
   * Writes {@code in} to {@code target}, hashing on the way, and refuses the package as soon as it
   * goes past {@code maxBytes}.
   */
  public static Written write(InputStream in, Path target, long maxBytes) throws IOException, InvalidPackageException {
    MessageDigest digest = Sha256.newDigest();
    long total = 0;
    byte[] buffer = new byte[64 * 1024];
    try (OutputStream out = Files.newOutputStream(target)) {
      int read;
      while ((read = in.read(buffer)) != -1) {
        total += read;
        if (total > maxBytes) {
          throw new InvalidPackageException(
              PackageProblem.PACKAGE_TOO_LARGE, "The code package is larger than the limit of " + maxBytes + " bytes.");
        }
        digest.update(buffer, 0, read);
        out.write(buffer, 0, read);
      }
    }
    return new Written(Sha256.hex(digest), total);
  }

  /** Scratch files are disposable: failing to delete one is logged, never thrown. */
  public static void deleteQuietly(Path file) {
    if (file == null) {
      return;
    }
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      log.warn("cannot delete scratch file {}: {}", file, e.getMessage());
    }
  }
}

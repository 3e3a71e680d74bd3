package dev.faaster.vm;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.apache.commons.io.file.PathUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a domain's code share holds: one directory per package loaded into it, named by the
 * package's digest, whose files are hard links to the node's unpacked copy (so every instance
 * reads the same bytes in place; a link costs one directory entry, not a copy). The share is
 * exported read-only to the guest; the host changes what it holds between loads.
 */
public final class CodeShares {

  private static final Logger LOG = LoggerFactory.getLogger(CodeShares.class);
  private static final Pattern PACKAGE_NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");

  private CodeShares() {}

  /** Creates the (empty) share directory of a domain about to be defined. */
  static void create(Path share) throws IOException {
    delete(share); // a leftover of a crashed process with the same name must not leak into it
    Files.createDirectories(share);
  }

  /** Deletes a domain's share and the links in it (never the files they link to). */
  public static void delete(Path share) {
    if (share == null || !Files.exists(share)) {
      return;
    }
    try {
      PathUtils.deleteDirectory(share);
    } catch (IOException e) {
      LOG.warn("could not delete code share {}: {}", share, e.toString());
    }
  }

  /**
   * Makes {@code tree}'s files visible in {@code share} as {@code name/}, by hard links, after
   * removing what the share held before; returns {@code name}, the path to give LOAD_CODE. Names
   * are package digests, so a share already holding {@code name} (a retried load) is left as it is.
   *
   * @throws IOException if a link can't be made (tree and share on different file systems: the
   *     share directory must be on the code cache's)
   */
  public static String link(Path share, String name, Path tree) throws IOException {
    if (Files.isDirectory(share.resolve(name)) && holdsOnly(share, name)) {
      return name; // a retried load: the same digest, so the same files, already linked
    }
    Path target = prepare(share, name);
    try (Stream<Path> all = Files.walk(tree)) {
      for (Path from : (Iterable<Path>) all::iterator) {
        Path to = target.resolve(tree.relativize(from).toString());
        if (Files.isDirectory(from)) {
          Files.createDirectories(to);
        } else {
          Files.createLink(to, from);
        }
      }
    }
    return name;
  }

  /**
   * Unpacks the platform's own small {@code zip} (a placeholder function, not user code) into
   * {@code share} as {@code name/}; files called {@code bootstrap} are made executable (the
   * placeholder's zip is built by the platform and java.util.zip does not expose unix modes).
   */
  static String unpack(Path share, String name, byte[] zip) throws IOException {
    Path target = prepare(share, name);
    try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip))) {
      for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
        Path to = target.resolve(e.getName()).normalize();
        if (!to.startsWith(target)) {
          throw new IOException("placeholder entry " + e.getName() + " leaves its directory");
        }
        if (e.isDirectory()) {
          Files.createDirectories(to);
          continue;
        }
        Files.createDirectories(to.getParent());
        Files.copy(in, to, StandardCopyOption.REPLACE_EXISTING);
        Files.setPosixFilePermissions(to,
            PosixFilePermissions.fromString(to.getFileName().toString().equals("bootstrap") ? "r-xr-xr-x" : "r--r--r--"));
      }
    }
    return name;
  }

  private static boolean holdsOnly(Path share, String name) throws IOException {
    try (Stream<Path> held = Files.list(share)) {
      return held.allMatch(p -> p.getFileName().toString().equals(name));
    }
  }

  private static Path prepare(Path share, String name) throws IOException {
    if (!PACKAGE_NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("not a package name for a code share: " + name);
    }
    Files.createDirectories(share);
    try (DirectoryStream<Path> held = Files.newDirectoryStream(share)) {
      for (Path previous : held) {
        delete(previous);
      }
    }
    Path target = share.resolve(name);
    Files.createDirectory(target);
    return target;
  }
}

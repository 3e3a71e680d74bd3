package dev.faaster.zonecache.store;

import dev.faaster.packagestore.Sha256;
import dev.faaster.zonecache.store.PackageUnavailableException.Reason;
import io.micronaut.core.annotation.Nullable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cache's files: complete entries as {@code packages/<sha256>.zip}, fills in progress under
 * {@code tmp/}. An entry appears only by an atomic rename of a temporary file whose bytes were
 * hashed and fsynced, so a crash leaves at most a temporary file, which the next start deletes.
 */
final class DiskStore {

  private static final Logger log = LoggerFactory.getLogger(DiskStore.class);
  private static final Pattern ENTRY = Pattern.compile("([0-9a-f]{64})\\.zip");
  private static final int BUFFER_BYTES = 256 * 1024;

  /**
   * An entry found on disk at start.
   *
   * @param sha256 the digest its name claims (not yet verified)
   * @param state its file's state
   */
  record Found(String sha256, FileState state) {}

  private final Path directory;
  private final Path packages;
  private final Path tmp;

  DiskStore(Path directory) {
    this.directory = directory.toAbsolutePath();
    this.packages = this.directory.resolve("packages");
    this.tmp = this.directory.resolve("tmp");
  }

  Path directory() {
    return directory;
  }

  /** Creates the directories, deletes what interrupted fills left behind, and lists the entries. */
  List<Found> open() throws IOException {
    Files.createDirectories(packages);
    Files.createDirectories(tmp);
    int leftovers = 0;
    try (DirectoryStream<Path> files = Files.newDirectoryStream(tmp)) {
      for (Path file : files) {
        Files.deleteIfExists(file);
        leftovers++;
      }
    }
    if (leftovers > 0) {
      log.info("deleted {} unfinished download(s) from {}", leftovers, tmp);
    }
    List<Found> found = new ArrayList<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(packages)) {
      for (Path file : files) {
        Matcher name = ENTRY.matcher(file.getFileName().toString());
        FileState state = stat(file);
        if (!name.matches() || state == null) {
          log.warn("ignoring {}: not a zone cache entry", file);
          continue;
        }
        found.add(new Found(name.group(1), state));
      }
    }
    return found;
  }

  Path path(String sha256) {
    return packages.resolve(sha256 + ".zip");
  }

  /** The entry file's state, or null when there is no such file. */
  @Nullable
  FileState stat(String sha256) {
    return stat(path(sha256));
  }

  @Nullable
  private static FileState stat(Path file) {
    try {
      BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
      if (!attributes.isRegularFile()) {
        return null;
      }
      return new FileState(attributes.size(), attributes.lastModifiedTime(), attributes.fileKey());
    } catch (NoSuchFileException e) {
      return null;
    } catch (IOException e) {
      log.warn("cannot stat {}: {}", file, e.getMessage());
      return null;
    }
  }

  /** The sha256 of the entry's bytes as they are on disk now. */
  String hash(String sha256) throws IOException {
    MessageDigest digest = Sha256.newDigest();
    ByteBuffer buffer = ByteBuffer.allocateDirect(BUFFER_BYTES);
    try (FileChannel channel = FileChannel.open(path(sha256), StandardOpenOption.READ)) {
      while (channel.read(buffer) != -1) {
        buffer.flip();
        digest.update(buffer);
        buffer.clear();
      }
    }
    return Sha256.hex(digest);
  }

  /**
   * Writes {@code in} to a temporary file while hashing it, and installs it as the entry of
   * {@code sha256} only if the bytes hash to it: fsync, then atomic rename, then fsync of the
   * directory. On any failure the temporary file is deleted and nothing is installed.
   */
  FileState install(String sha256, InputStream in, long maxBytes) throws PackageUnavailableException {
    Path temp = null;
    boolean installed = false;
    try {
      temp = Files.createTempFile(tmp, sha256 + ".", ".part");
      try (FileChannel out = FileChannel.open(temp, StandardOpenOption.WRITE)) {
        String actual = copy(sha256, in, out, maxBytes);
        if (!actual.equals(sha256)) {
          throw new PackageUnavailableException(
              Reason.ORIGIN_DIGEST_MISMATCH,
              "The origin's copy of package "
                  + sha256
                  + " is corrupt: its bytes hash to "
                  + actual
                  + ". Nothing was installed in the zone cache.");
        }
        out.force(true);
      }
      Path target = path(sha256);
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      installed = true;
      fsyncDirectory(packages);
      FileState state = stat(target);
      if (state == null) {
        throw new IOException(target + " vanished right after it was installed");
      }
      return state;
    } catch (IOException e) {
      throw new PackageUnavailableException(
          Reason.CACHE_STORAGE_FAILED,
          "The zone cache cannot write package " + sha256 + " under " + directory + ": " + e.getMessage(),
          e);
    } finally {
      if (!installed && temp != null) {
        deleteQuietly(temp);
      }
    }
  }

  private static String copy(String sha256, InputStream in, FileChannel out, long maxBytes)
      throws IOException, PackageUnavailableException {
    MessageDigest digest = Sha256.newDigest();
    byte[] buffer = new byte[BUFFER_BYTES];
    long total = 0;
    while (true) {
      int read;
      try {
        read = in.read(buffer);
      } catch (IOException | RuntimeException e) {
        throw new PackageUnavailableException(
            Reason.ORIGIN_UNAVAILABLE,
            "Reading package " + sha256 + " from the origin failed after " + total + " bytes: " + e.getMessage(),
            e);
      }
      if (read < 0) {
        return Sha256.hex(digest);
      }
      total += read;
      if (total > maxBytes) {
        throw new PackageUnavailableException(
            Reason.LARGER_THAN_CACHE,
            "Package " + sha256 + " is larger than the zone cache's whole size bound of " + maxBytes + " bytes.");
      }
      digest.update(buffer, 0, read);
      ByteBuffer chunk = ByteBuffer.wrap(buffer, 0, read);
      while (chunk.hasRemaining()) {
        out.write(chunk);
      }
    }
  }

  /** Removes the entry's file; a file already gone is not an error. */
  void delete(String sha256) {
    deleteQuietly(path(sha256));
  }

  private static void deleteQuietly(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      log.warn("cannot delete {}: {}", file, e.getMessage());
    }
  }

  /** Makes a rename in the directory durable (Linux: fsync on the directory). */
  private static void fsyncDirectory(Path dir) {
    try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
      channel.force(true);
    } catch (IOException e) {
      // Not every platform can open a directory; the rename itself is still atomic.
      log.debug("cannot fsync directory {}: {}", dir, e.getMessage());
    }
  }
}

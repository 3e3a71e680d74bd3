package dev.faaster.codecache;

import dev.faaster.packagestore.Sha256;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.security.MessageDigest;
import java.util.EnumSet;
import java.util.Enumeration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import java.util.zip.ZipException;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipFile;
import org.apache.commons.io.file.PathUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Unpacked packages: for each verified L1 entry an instance reads in place, its files under
 * {@code <directory>/<sha256>/}, unpacked once per node and shared read-only by every instance of
 * every function with those bytes (through the instance's code share, which links them).
 *
 * <p>Unpacking is atomic: into {@code .tmp-<sha256>-<n>/}, its manifest ({@code <sha256>.files}:
 * each file's path, size and sha256) renamed into place, then the tree; a tree is served only with
 * its manifest. Nothing is fsynced: trees are derived from the L1 entries, so {@link #recover()}
 * deletes them all at start (a crash of the machine may have lost unflushed bytes of any of them)
 * and the next use of each package unpacks it again, off the cold path's critical chain (the code
 * step runs beside the VM's). Concurrent requests for one package share one unpack. Removal
 * renames the tree aside first, so a tree is either whole under its name or gone.
 *
 * <p>Verification follows L1's: the zip was verified against its digest before it was unpacked,
 * and {@link #scrub()} hashes every tree's files against its manifest, removing a tree that
 * differs (the next cold start unpacks it again from the verified zip).
 *
 * <p>The zip was checked when it was uploaded (paths, counts, sizes); unpacking checks again and
 * refuses what would leave the tree (absolute names, {@code ..}, symlinks) or break the limits.
 * Files are read-only for everyone; {@code bootstrap} and other files zipped as executable keep
 * their execute bit.
 */
public final class PackageTrees {

  /** Files and bytes one package may unpack to: the guest's own limits (guest/codepkg). */
  public record Limits(int maxEntries, long maxBytes) {
    public static final Limits DEFAULT = new Limits(10_000, 64L << 20);
  }

  private static final Logger log = LoggerFactory.getLogger(PackageTrees.class);
  private static final Pattern DIGEST = Pattern.compile("[0-9a-f]{64}");
  private static final String TEMP_PREFIX = NodeCodeCache.TEMP_PREFIX;
  private static final String MANIFEST_SUFFIX = ".files";
  private static final Set<PosixFilePermission> READ_ONLY = EnumSet.of(PosixFilePermission.OWNER_READ,
      PosixFilePermission.GROUP_READ, PosixFilePermission.OTHERS_READ);
  private static final Set<PosixFilePermission> EXECUTABLE = EnumSet.of(PosixFilePermission.OWNER_READ,
      PosixFilePermission.GROUP_READ, PosixFilePermission.OTHERS_READ, PosixFilePermission.OWNER_EXECUTE,
      PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.OTHERS_EXECUTE);

  private final Path directory;
  private final Limits limits;
  private final ConcurrentHashMap<String, CompletableFuture<Path>> unpacking = new ConcurrentHashMap<>();
  // A verified package that can't be unpacked never will be (same bytes): asked again, it fails at once.
  private final ConcurrentHashMap<String, String> refused = new ConcurrentHashMap<>();
  private final AtomicLong sequence = new AtomicLong();
  /** Unpacks run (tests check that concurrent requests share one). */
  final AtomicLong unpacks = new AtomicLong();

  public PackageTrees(Path directory, Limits limits) {
    this.directory = directory.toAbsolutePath();
    this.limits = limits;
  }

  /**
   * Deletes every tree and manifest: what a crash left half done, and the complete ones too, whose
   * bytes were never fsynced. Instances still running keep their links to the files.
   */
  public void recover() throws IOException {
    Files.createDirectories(directory);
    int deleted = 0;
    try (DirectoryStream<Path> children = Files.newDirectoryStream(directory)) {
      for (Path child : children) {
        if (Files.isDirectory(child)) {
          deleteTree(child);
        } else {
          Files.deleteIfExists(child);
        }
        deleted++;
      }
    }
    if (deleted > 0) {
      log.info("deleted {} unpacked packages and manifests left from before this start", deleted);
    }
  }

  /** Whether the package's tree is unpacked (with its manifest: only then is it served). */
  public boolean contains(String sha256) {
    return Files.isDirectory(treeOf(sha256)) && Files.isRegularFile(manifestOf(sha256));
  }

  private Path manifestOf(String sha256) {
    return directory.resolve(sha256 + MANIFEST_SUFFIX);
  }

  /**
   * Hashes every tree's files against its manifest and removes the trees that differ (or lost
   * their manifest).
   *
   * @return trees removed
   */
  public int scrub() {
    int removed = 0;
    try (DirectoryStream<Path> children = Files.newDirectoryStream(directory)) {
      for (Path child : children) {
        String name = child.getFileName().toString();
        if (!DIGEST.matcher(name).matches() || !Files.isDirectory(child)) {
          continue;
        }
        String why = mismatch(name);
        if (why != null) {
          log.error("unpacked package {} is corrupt ({}); removed, the next use unpacks it again", name, why);
          remove(name);
          removed++;
        }
      }
    } catch (IOException e) {
      log.warn("could not scrub unpacked packages under {}: {}", directory, e.toString());
    }
    return removed;
  }

  /** Why the tree differs from its manifest, or null when every file matches. */
  private String mismatch(String sha256) {
    Path tree = treeOf(sha256);
    List<String> lines;
    try {
      lines = Files.readAllLines(manifestOf(sha256), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "no manifest";
    }
    for (String line : lines) {
      String[] f = line.split(" ", 3); // sha256, size, path (the path may hold spaces)
      if (f.length != 3) {
        return "bad manifest line";
      }
      Path file = tree.resolve(f[2]);
      try {
        if (Files.size(file) != Long.parseLong(f[1]) || !f[0].equals(Sha256.hex(file))) {
          return f[2] + " changed";
        }
      } catch (IOException | NumberFormatException e) {
        return f[2] + ": " + e.getMessage();
      }
    }
    return null;
  }

  /**
   * The tree of the package {@code sha256} whose verified zip is {@code zip}, unpacked now unless
   * it already is. The caller holds a lease on the L1 entry, so the zip stays while this runs.
   *
   * @throws IOException if the zip can't be read, is unsafe or breaks the limits; nothing is left
   */
  public Path tree(String sha256, Path zip) throws IOException {
    Path tree = treeOf(sha256);
    if (contains(sha256)) {
      return tree;
    }
    String refusal = refused.get(sha256);
    if (refusal != null) {
      throw new IOException(refusal);
    }
    CompletableFuture<Path> mine = new CompletableFuture<>();
    CompletableFuture<Path> running = unpacking.putIfAbsent(sha256, mine);
    if (running != null) {
      return join(running);
    }
    try {
      mine.complete(contains(sha256) ? tree : unpack(sha256, zip, tree));
    } catch (ZipException e) {
      refused.put(sha256, "package " + sha256 + " can't be unpacked: " + e.getMessage());
      mine.completeExceptionally(e);
    } catch (IOException | RuntimeException e) {
      mine.completeExceptionally(e);
    } finally {
      unpacking.remove(sha256, mine);
    }
    return join(mine);
  }

  /** Removes the package's tree if there is one; instances that linked its files keep them. */
  public void remove(String sha256) {
    refused.remove(sha256);
    Path tree = treeOf(sha256);
    if (!Files.isDirectory(tree)) {
      try {
        Files.deleteIfExists(manifestOf(sha256));
      } catch (IOException e) {
        log.warn("could not remove the manifest of {}: {}", sha256, e.toString());
      }
      return;
    }
    Path aside = directory.resolve(TEMP_PREFIX + "removed-" + sha256 + "-" + sequence.incrementAndGet());
    try {
      Files.move(tree, aside, StandardCopyOption.ATOMIC_MOVE);
      Files.deleteIfExists(manifestOf(sha256));
      deleteTree(aside);
    } catch (IOException e) {
      log.warn("could not remove unpacked package {}: {}", sha256, e.toString());
    }
  }

  private Path treeOf(String sha256) {
    if (!DIGEST.matcher(sha256).matches()) {
      throw new IllegalArgumentException("not a sha256 digest: " + sha256);
    }
    return directory.resolve(sha256);
  }

  private Path unpack(String sha256, Path zip, Path tree) throws IOException {
    long started = System.nanoTime();
    unpacks.incrementAndGet();
    Files.createDirectories(directory);
    Path temp = directory.resolve(TEMP_PREFIX + sha256 + "-" + sequence.incrementAndGet());
    Files.createDirectory(temp);
    Path tempManifest = directory.resolve(TEMP_PREFIX + sha256 + "-" + sequence.incrementAndGet() + MANIFEST_SUFFIX);
    try {
      StringBuilder manifest = new StringBuilder();
      long[] counted = unpackInto(zip, temp, manifest);
      try (FileChannel out = FileChannel.open(tempManifest, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        out.write(ByteBuffer.wrap(manifest.toString().getBytes(StandardCharsets.UTF_8)));
      }
      Files.move(tempManifest, manifestOf(sha256), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      try {
        Files.move(temp, tree, StandardCopyOption.ATOMIC_MOVE);
      } catch (FileAlreadyExistsException e) {
        deleteTree(temp); // another process got there first; its tree is as good
        return tree;
      }
      log.info("unpacked package {}: {} files, {} bytes in {} ms", sha256, counted[0], counted[1],
          (System.nanoTime() - started) / 1_000_000);
      return tree;
    } catch (IOException | RuntimeException e) {
      deleteTree(temp);
      Files.deleteIfExists(tempManifest);
      throw e;
    }
  }

  /** Files and bytes written; one manifest line per file: sha256, size, path. */
  private long[] unpackInto(Path zip, Path root, StringBuilder manifest) throws IOException {
    long files = 0;
    long bytes = 0;
    try (ZipFile file = ZipFile.builder().setPath(zip).get()) {
      Enumeration<ZipArchiveEntry> entries = file.getEntries();
      int seen = 0;
      while (entries.hasMoreElements()) {
        ZipArchiveEntry entry = entries.nextElement();
        if (++seen > limits.maxEntries()) {
          throw new ZipException("more than " + limits.maxEntries() + " entries");
        }
        Path target = inside(root, entry.getName());
        if (entry.isUnixSymlink()) {
          throw new ZipException("entry " + entry.getName() + " is a symlink");
        }
        if (entry.isDirectory()) {
          Files.createDirectories(target);
          continue;
        }
        Files.createDirectories(target.getParent());
        MessageDigest digest = Sha256.newDigest();
        long size = 0;
        try (InputStream in = file.getInputStream(entry);
            FileChannel out = FileChannel.open(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
          byte[] buffer = new byte[64 * 1024];
          for (int n; (n = in.read(buffer)) != -1; ) {
            bytes += n;
            size += n;
            digest.update(buffer, 0, n);
            if (bytes > limits.maxBytes()) {
              throw new ZipException("more than " + limits.maxBytes() + " bytes unpacked");
            }
            out.write(ByteBuffer.wrap(buffer, 0, n));
          }
        }
        if (root.relativize(target).toString().indexOf('\n') >= 0) {
          throw new ZipException("entry name with a line break");
        }
        manifest.append(Sha256.hex(digest)).append(' ').append(size).append(' ').append(root.relativize(target))
            .append('\n');
        boolean executable = (entry.getUnixMode() & 0111) != 0;
        Files.setPosixFilePermissions(target, executable ? EXECUTABLE : READ_ONLY);
        files++;
      }
    }
    return new long[] {files, bytes};
  }

  /** The entry's path under root, or an exception when the name would leave it. */
  private static Path inside(Path root, String name) throws IOException {
    if (name.isEmpty() || name.startsWith("/") || name.contains("\\") || name.indexOf('\0') >= 0) {
      throw new ZipException("unsafe entry name " + name);
    }
    Path target = root.resolve(name).normalize();
    if (!target.startsWith(root) || target.equals(root)) {
      throw new ZipException("entry " + name + " leaves the package");
    }
    return target;
  }

  static void deleteTree(Path root) {
    if (!Files.exists(root)) {
      return;
    }
    try {
      PathUtils.deleteDirectory(root);
    } catch (IOException e) {
      log.warn("could not delete {}: {}", root, e.toString());
    }
  }

  private static Path join(CompletableFuture<Path> future) throws IOException {
    try {
      return future.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof IOException io) {
        throw io;
      }
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw e;
    }
  }
}

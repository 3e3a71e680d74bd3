package dev.faaster.codecache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PackageTreesTest {

  static final String SHA = "a".repeat(64);

  @TempDir Path dir;

  /** A zip of name -> content; names ending in "*" are stored executable (without the star). */
  static Path zip(Path where, Map<String, String> files) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ZipArchiveOutputStream out = new ZipArchiveOutputStream(bytes)) {
      for (var f : files.entrySet()) {
        boolean exec = f.getKey().endsWith("*");
        ZipArchiveEntry e = new ZipArchiveEntry(exec ? f.getKey().substring(0, f.getKey().length() - 1) : f.getKey());
        e.setUnixMode(exec ? 0100755 : 0100644);
        out.putArchiveEntry(e);
        out.write(f.getValue().getBytes(StandardCharsets.UTF_8));
        out.closeArchiveEntry();
      }
    }
    Files.write(where, bytes.toByteArray());
    return where;
  }

  @Test
  void unpacksOnceReadOnlyKeepingTheExecuteBit() throws Exception {
    PackageTrees trees = new PackageTrees(dir.resolve("trees"), PackageTrees.Limits.DEFAULT);
    Map<String, String> files = new LinkedHashMap<>();
    files.put("bootstrap*", "#!/bin/sh\necho hi\n");
    files.put("lib/app.py", "def handler(e, c):\n    return e\n");
    Path tree = trees.tree(SHA, zip(dir.resolve("p.zip"), files));

    assertThat(tree).isEqualTo(dir.resolve("trees").resolve(SHA).toAbsolutePath());
    assertThat(Files.readString(tree.resolve("lib/app.py"))).startsWith("def handler");
    assertThat(Files.getPosixFilePermissions(tree.resolve("bootstrap"))).contains(PosixFilePermission.OTHERS_EXECUTE)
        .doesNotContain(PosixFilePermission.OWNER_WRITE);
    assertThat(Files.getPosixFilePermissions(tree.resolve("lib/app.py")))
        .doesNotContain(PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE);
    assertThat(trees.tree(SHA, dir.resolve("gone.zip"))).as("a second request reuses the tree").isEqualTo(tree);
    assertThat(trees.unpacks.get()).isEqualTo(1);
  }

  @Test
  void concurrentRequestsShareOneUnpack() throws Exception {
    PackageTrees trees = new PackageTrees(dir.resolve("trees"), PackageTrees.Limits.DEFAULT);
    Map<String, String> files = new LinkedHashMap<>();
    for (int i = 0; i < 300; i++) {
      files.put("f" + i, "x".repeat(1000));
    }
    Path zip = zip(dir.resolve("p.zip"), files);
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<Path>> all = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        all.add(pool.submit(() -> {
          go.await();
          return trees.tree(SHA, zip);
        }));
      }
      go.countDown();
      for (Future<Path> f : all) {
        assertThat(f.get()).isDirectory();
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(trees.unpacks.get()).isEqualTo(1);
    try (Stream<Path> left = Files.list(dir.resolve("trees"))) {
      assertThat(left).extracting(p -> p.getFileName().toString()).containsExactlyInAnyOrder(SHA, SHA + ".files");
    }
  }

  @Test
  void refusesEscapingEntriesAndLimitsLeavingNothing() throws Exception {
    PackageTrees trees = new PackageTrees(dir.resolve("trees"), new PackageTrees.Limits(3, 100));
    Path escaping = zip(dir.resolve("e.zip"), Map.of("../outside", "x"));
    assertThatThrownBy(() -> trees.tree(SHA, escaping)).isInstanceOf(IOException.class).hasMessageContaining("leaves");
    Path big = zip(dir.resolve("b.zip"), Map.of("big", "x".repeat(101)));
    assertThatThrownBy(() -> trees.tree("b".repeat(64), big)).isInstanceOf(IOException.class).hasMessageContaining("bytes");
    Path many = zip(dir.resolve("m.zip"), Map.of("a", "", "b", "", "c", "", "d", ""));
    assertThatThrownBy(() -> trees.tree("c".repeat(64), many)).isInstanceOf(IOException.class).hasMessageContaining("entries");

    Path notAZip = Files.writeString(dir.resolve("n.zip"), "not a zip");
    String other = "d".repeat(64);
    assertThatThrownBy(() -> trees.tree(other, notAZip)).isInstanceOf(IOException.class);
    long tried = trees.unpacks.get();
    assertThatThrownBy(() -> trees.tree(other, notAZip)).as("refused at once the second time")
        .isInstanceOf(IOException.class).hasMessageContaining("can't be unpacked");
    assertThat(trees.unpacks.get()).isEqualTo(tried);

    assertThat(dir.resolve("outside")).doesNotExist();
    assertThat(trees.contains(SHA)).isFalse();
    try (Stream<Path> left = Files.list(dir.resolve("trees"))) {
      assertThat(left).as("no temporary tree is left").isEmpty();
    }
  }

  @Test
  void theScrubRemovesATreeWhoseFileChangedAndTheNextUseUnpacksItAgain() throws Exception {
    PackageTrees trees = new PackageTrees(dir.resolve("trees"), PackageTrees.Limits.DEFAULT);
    Path zip = zip(dir.resolve("p.zip"), Map.of("lib/app.py", "print('intact')\n", "other.txt", "fine"));
    Path tree = trees.tree(SHA, zip);
    assertThat(trees.scrub()).as("nothing changed").isZero();

    Path app = tree.resolve("lib/app.py");
    app.toFile().setWritable(true);
    byte[] bytes = Files.readAllBytes(app);
    bytes[3] ^= 0x01; // same size, one bit off
    Files.write(app, bytes);

    assertThat(trees.scrub()).isEqualTo(1);
    assertThat(trees.contains(SHA)).isFalse();
    assertThat(Files.readString(trees.tree(SHA, zip).resolve("lib/app.py"))).isEqualTo("print('intact')\n");
    assertThat(trees.unpacks.get()).isEqualTo(2);
  }

  @Test
  void aTreeWithoutItsManifestIsNotServed() throws Exception {
    Path root = dir.resolve("trees");
    PackageTrees trees = new PackageTrees(root, PackageTrees.Limits.DEFAULT);
    Path zip = zip(dir.resolve("p.zip"), Map.of("a.txt", "a"));
    trees.tree(SHA, zip);
    Files.delete(root.resolve(SHA + ".files"));
    assertThat(trees.contains(SHA)).isFalse();
    assertThat(trees.scrub()).as("the tree without a manifest").isEqualTo(1);
    assertThat(Files.readString(trees.tree(SHA, zip).resolve("a.txt"))).isEqualTo("a");
    assertThat(trees.contains(SHA)).isTrue();
  }

  @Test
  void recoverDeletesEveryTreeAndRemoveKeepsLinkedFilesReadable() throws Exception {
    Path root = dir.resolve("trees");
    Path partial = root.resolve(".tmp-" + SHA + "-7");
    Files.createDirectories(partial.resolve("lib"));
    Files.writeString(partial.resolve("lib/half"), "x");
    Path complete = Files.createDirectories(root.resolve("b".repeat(64)));
    Files.writeString(complete.resolve("app.py"), "never fsynced");
    Files.writeString(root.resolve("b".repeat(64) + ".files"), "");
    PackageTrees trees = new PackageTrees(root, PackageTrees.Limits.DEFAULT);
    trees.recover();
    assertThat(partial).doesNotExist();
    try (Stream<Path> left = Files.list(root)) {
      assertThat(left).as("complete trees are unpacked again after a start, not trusted").isEmpty();
    }

    Path tree = trees.tree(SHA, zip(dir.resolve("p.zip"), Map.of("bootstrap*", "echo hi")));
    Path link = dir.resolve("instance-share-bootstrap");
    Files.createLink(link, tree.resolve("bootstrap"));
    trees.remove(SHA);
    assertThat(trees.contains(SHA)).isFalse();
    assertThat(Files.readString(link)).as("an instance's link outlives the tree").isEqualTo("echo hi");
    try (Stream<Path> left = Files.list(root)) {
      assertThat(left).isEmpty();
    }
  }
}

package dev.faaster.packagestore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Zips are built here with java.util.zip; every refusal is checked by its stable problem code. */
class PackageInspectorTest {

  private static final int MIB = 1 << 20;

  /** 10 MiB zipped, 8 MiB unzipped, 10 entries, 100x expansion. */
  private static final PackageLimits LIMITS = new PackageLimits(10L * MIB, 8L * MIB, 10, 100);

  private final PackageInspector inspector = new PackageInspector(LIMITS);

  @TempDir Path dir;

  @Test
  void validPackageIsSummarisedByWhatItInflatesTo() throws Exception {
    Map<String, byte[]> entries = new LinkedHashMap<>();
    entries.put("index.py", utf8("def handler(event, context):\n    return event\n"));
    entries.put("lib/", null);
    entries.put("lib/util.py", utf8("X = 1\n"));
    entries.put("..hidden/a..b.txt", utf8("dots that don't climb"));

    PackageSummary summary = inspector.inspect(zip(entries));

    long expected = 0;
    for (byte[] bytes : entries.values()) {
      expected += bytes == null ? 0 : bytes.length;
    }
    assertThat(summary.entries()).isEqualTo(4);
    assertThat(summary.uncompressedBytes()).isEqualTo(expected);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "../evil",
        "a/../../evil",
        "a/..",
        "../",
        "/etc/passwd",
        "C:\\x",
        "C:/x",
        "..\\evil",
        "a\\..\\..\\evil",
        "\\\\server\\share\\x"
      })
  void entryLeavingThePackageDirectoryIsUnsafe(String name) throws Exception {
    Map<String, byte[]> entries = new LinkedHashMap<>();
    entries.put("index.py", utf8("ok"));
    entries.put(name, utf8("payload"));

    assertThat(problemOf(zip(entries))).isEqualTo(PackageProblem.UNSAFE_PATH);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "evil\0.py"})
  void emptyOrNulNameIsUnsafe(String name) {
    InvalidPackageException refused =
        catchThrowableOfType(InvalidPackageException.class, () -> PackageInspector.checkPath(name));

    assertThat(refused).isNotNull();
    assertThat(refused.problem()).isEqualTo(PackageProblem.UNSAFE_PATH);
  }

  @Test
  void highlyCompressibleEntryOverTheRatioIsAZipBomb() throws Exception {
    Path bomb = zip(Map.of("zeros.bin", new byte[4 * MIB]));
    // Tiny on disk, so the ratio cap (compressed x 100) falls under the 1 MiB floor: the floor rules.
    assertThat(Files.size(bomb) * LIMITS.maxExpansionRatio()).isLessThan(PackageInspector.RATIO_FLOOR_BYTES);

    assertThat(problemOf(bomb)).isEqualTo(PackageProblem.ZIP_BOMB);
  }

  @Test
  void highRatioUnderTheFloorIsAccepted() throws Exception {
    Path small = zip(Map.of("zeros.bin", new byte[MIB / 2]));

    assertThat(inspector.inspect(small).uncompressedBytes()).isEqualTo(MIB / 2);
  }

  @Test
  void ratioCapGrowsWithTheCompressedSize() throws Exception {
    // 2 MiB of random bytes doesn't compress; 1.5 MiB of zeros beside it is fine at ~2x overall.
    Map<String, byte[]> entries = new LinkedHashMap<>();
    entries.put("random.bin", random(2 * MIB));
    entries.put("zeros.bin", new byte[3 * MIB / 2]);

    assertThat(inspector.inspect(zip(entries)).uncompressedBytes()).isEqualTo(2L * MIB + 3 * MIB / 2);
  }

  @Test
  void totalOverMaxUncompressedBytesIsAZipBomb() throws Exception {
    // Incompressible, so only the absolute limit can trip: 3 x 512 KiB against 1 MiB.
    PackageInspector strict = new PackageInspector(new PackageLimits(10L * MIB, MIB, 10, 100));
    Map<String, byte[]> entries = new LinkedHashMap<>();
    for (int i = 0; i < 3; i++) {
      entries.put("part-" + i + ".bin", random(MIB / 2));
    }
    Path zip = zip(entries);

    InvalidPackageException refused = catchThrowableOfType(InvalidPackageException.class, () -> strict.inspect(zip));

    assertThat(refused).isNotNull();
    assertThat(refused.problem()).isEqualTo(PackageProblem.ZIP_BOMB);
    assertThat(inspector.inspect(zip).entries()).as("the same zip under the default limits").isEqualTo(3);
  }

  @Test
  void headerThatLiesAboutItsSizeIsStillCaught() throws Exception {
    Path liar = zip(Map.of("small.txt", new byte[4 * MIB]));
    claimUncompressedSize(liar, 10);
    try (ZipFile file = new ZipFile(liar.toFile())) {
      assertThat(file.getEntry("small.txt").getSize()).as("the forged header").isEqualTo(10);
    }

    assertThat(problemOf(liar)).isEqualTo(PackageProblem.ZIP_BOMB);
  }

  @Test
  void moreEntriesThanTheLimitAreRefused() throws Exception {
    Map<String, byte[]> entries = new LinkedHashMap<>();
    for (int i = 0; i < LIMITS.maxEntries(); i++) {
      entries.put("f" + i + ".txt", utf8("x"));
    }
    assertThat(inspector.inspect(zip(entries)).entries()).isEqualTo(LIMITS.maxEntries());

    entries.put("one-too-many.txt", utf8("x"));

    assertThat(problemOf(zip(entries))).isEqualTo(PackageProblem.TOO_MANY_ENTRIES);
  }

  @Test
  void zeroByteFileIsEmpty() throws Exception {
    Path empty = Files.createFile(dir.resolve("empty.zip"));

    assertThat(problemOf(empty)).isEqualTo(PackageProblem.PACKAGE_EMPTY);
  }

  @Test
  void zipWithoutEntriesIsEmpty() throws Exception {
    Path noEntries = zip(Map.of());
    assertThat(Files.size(noEntries)).isPositive();

    assertThat(problemOf(noEntries)).isEqualTo(PackageProblem.PACKAGE_EMPTY);
  }

  @Test
  void bytesThatAreNotAZipAreRefused() throws Exception {
    Path text = Files.writeString(dir.resolve("handler.py"), "def handler(event, context):\n    return 1\n");

    assertThat(problemOf(text)).isEqualTo(PackageProblem.NOT_A_ZIP);
  }

  @Test
  void truncatedZipIsNotAZip() throws Exception {
    Path whole = zip(Map.of("index.py", random(4096)));
    byte[] bytes = Files.readAllBytes(whole);
    Path truncated = Files.write(dir.resolve("truncated.zip"), java.util.Arrays.copyOf(bytes, bytes.length - 30));

    assertThat(problemOf(truncated)).isEqualTo(PackageProblem.NOT_A_ZIP);
  }

  @Test
  void packageOverMaxBytesIsTooLargeBeforeItIsOpened() throws Exception {
    Path zip = zip(Map.of("index.py", random(2048)));
    long size = Files.size(zip);
    PackageInspector exact = new PackageInspector(new PackageLimits(size, 8L * MIB, 10, 100));
    PackageInspector oneByteShort = new PackageInspector(new PackageLimits(size - 1, 8L * MIB, 10, 100));

    assertThat(exact.inspect(zip).entries()).isEqualTo(1);
    InvalidPackageException refused =
        catchThrowableOfType(InvalidPackageException.class, () -> oneByteShort.inspect(zip));
    assertThat(refused).isNotNull();
    assertThat(refused.problem()).isEqualTo(PackageProblem.PACKAGE_TOO_LARGE);
    // The size check comes first: a huge non-zip is refused for its size, not its format.
    Path huge = Files.write(dir.resolve("huge.bin"), random((int) size));
    assertThat(catchThrowableOfType(InvalidPackageException.class, () -> oneByteShort.inspect(huge)).problem())
        .isEqualTo(PackageProblem.PACKAGE_TOO_LARGE);
  }

  // ---- helpers

  private PackageProblem problemOf(Path zip) {
    InvalidPackageException refused = catchThrowableOfType(InvalidPackageException.class, () -> inspector.inspect(zip));
    assertThat(refused).as("%s should have been refused", zip.getFileName()).isNotNull();
    assertThat(refused.getMessage()).isNotBlank();
    return refused.problem();
  }

  /** Entries in order; a null value makes a directory entry. */
  private Path zip(Map<String, byte[]> entries) throws IOException {
    Path zip = Files.createTempFile(dir, "package", ".zip");
    try (OutputStream out = Files.newOutputStream(zip);
        ZipOutputStream zipOut = new ZipOutputStream(out)) {
      for (Map.Entry<String, byte[]> entry : entries.entrySet()) {
        zipOut.putNextEntry(new ZipEntry(entry.getKey()));
        if (entry.getValue() != null) {
          zipOut.write(entry.getValue());
        }
        zipOut.closeEntry();
      }
    }
    return zip;
  }

  /**
   * Rewrites the uncompressed size the zip claims for its (single) entry, in the central directory
   * and the data descriptor, as an attacker would. The deflated data stays as it was.
   */
  private static void claimUncompressedSize(Path zip, int claimed) throws IOException {
    ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(zip)).order(ByteOrder.LITTLE_ENDIAN);
    int patched = 0;
    for (int i = 0; i + 4 <= bytes.limit(); i++) {
      int signature = bytes.getInt(i);
      if (signature == 0x02014b50) { // central directory header: uncompressed size at +24
        bytes.putInt(i + 24, claimed);
        patched++;
      } else if (signature == 0x08074b50) { // data descriptor: crc, compressed, uncompressed
        bytes.putInt(i + 12, claimed);
        patched++;
      }
    }
    assertThat(patched).as("headers rewritten").isEqualTo(2);
    Files.write(zip, bytes.array());
  }

  private static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] random(int size) {
    byte[] bytes = new byte[size];
    new Random(size).nextBytes(bytes);
    return bytes;
  }
}

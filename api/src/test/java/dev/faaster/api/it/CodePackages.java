package dev.faaster.api.it;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.UUID;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/** Code packages for the tests, each with unique content so no two runs share a digest. */
final class CodePackages {

  private CodePackages() {}

  /** A provided-runtime package: one executable ./bootstrap that prints {@code greeting}. */
  static byte[] bootstrap(String greeting) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
      zip.putNextEntry(new ZipEntry("bootstrap"));
      String script = "#!/bin/sh\n# " + UUID.randomUUID() + "\necho '" + greeting + "'\n";
      zip.write(script.getBytes(StandardCharsets.UTF_8));
      zip.closeEntry();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /** Computed here rather than with the code under test's helper, so a bug there can't hide. */
  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The same bytes with one flipped in the middle: same size, different digest. */
  static byte[] flipOneByte(byte[] original) {
    byte[] copy = original.clone();
    copy[copy.length / 2] ^= 0x01;
    return copy;
  }
}

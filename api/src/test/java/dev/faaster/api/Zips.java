package dev.faaster.api;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/** Code packages for tests, good and bad, built in memory. */
final class Zips {

  private Zips() {}

  /** A valid package whose bytes are unique to this call (so no two tests share a stored object). */
  static byte[] valid() {
    return of(Map.of("bootstrap", ("#!/bin/sh\necho " + UUID.randomUUID() + "\n").getBytes(StandardCharsets.UTF_8)));
  }

  static byte[] of(Map<String, byte[]> entries) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
      for (Map.Entry<String, byte[]> entry : entries.entrySet()) {
        zip.putNextEntry(new ZipEntry(entry.getKey()));
        zip.write(entry.getValue());
        zip.closeEntry();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /** A valid package plus one entry with the given name (ZipOutputStream doesn't check names). */
  static byte[] withEntry(String name) {
    Map<String, byte[]> entries = new LinkedHashMap<>();
    entries.put("bootstrap", "#!/bin/sh\n".getBytes(StandardCharsets.UTF_8));
    entries.put(name, "x".getBytes(StandardCharsets.UTF_8));
    return of(entries);
  }

  /** One entry of {@code inflatedBytes} zeros: a few KiB that inflate far past any sane ratio. */
  static byte[] bomb(int inflatedBytes) {
    return of(Map.of("zeros.bin", new byte[inflatedBytes]));
  }

  static byte[] entries(int count) {
    Map<String, byte[]> entries = new LinkedHashMap<>();
    for (int i = 0; i < count; i++) {
      entries.put("file-" + i + ".txt", new byte[] {(byte) i});
    }
    return of(entries);
  }

  /** A well-formed zip with no entries: only the end-of-central-directory record. */
  static byte[] noEntries() {
    byte[] eocd = new byte[22];
    eocd[0] = 0x50;
    eocd[1] = 0x4b;
    eocd[2] = 0x05;
    eocd[3] = 0x06;
    return eocd;
  }

  static byte[] randomBytes(int size) {
    byte[] bytes = new byte[size];
    new Random(size).nextBytes(bytes);
    return bytes;
  }

  /** Computed here, not with the code under test's helper. */
  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}

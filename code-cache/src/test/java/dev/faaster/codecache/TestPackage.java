package dev.faaster.codecache;

import dev.faaster.packagestore.Sha256;
import java.util.Random;

/** Random bytes and their digest. */
record TestPackage(byte[] bytes, String sha256) {

  private static final Random RANDOM = new Random(42);

  static TestPackage random(int size) {
    byte[] bytes = new byte[size];
    synchronized (RANDOM) {
      RANDOM.nextBytes(bytes);
    }
    return new TestPackage(bytes, Sha256.hex(bytes));
  }

  /** The same bytes with one bit flipped at {@code index}. */
  byte[] flipped(int index) {
    byte[] copy = bytes.clone();
    copy[index] ^= 0x01;
    return copy;
  }

  int size() {
    return bytes.length;
  }
}

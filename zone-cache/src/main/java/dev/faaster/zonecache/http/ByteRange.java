package dev.faaster.zonecache.http;

import io.micronaut.core.annotation.Nullable;

/**
 * Which bytes of a package a request gets (RFC 9110 section 14): all of them, one range, or none
 * because the range starts past the end. A header naming several ranges, another unit or nothing
 * parseable is ignored and the whole package is sent, as RFC 9110 allows. Pure.
 */
public sealed interface ByteRange {

  /** The whole package: 200. */
  record Whole(long size) implements ByteRange {}

  /** One range: 206 with {@code Content-Range: bytes first-last/size}. */
  record Partial(long start, long length, long size) implements ByteRange {
    public String contentRange() {
      return "bytes " + start + "-" + (start + length - 1) + "/" + size;
    }
  }

  /** A range that selects nothing: 416 with {@code Content-Range: bytes *}{@code /size}. */
  record Unsatisfiable(long size) implements ByteRange {
    public String contentRange() {
      return "bytes */" + size;
    }
  }

  static ByteRange of(@Nullable String header, long size) {
    if (header == null) {
      return new Whole(size);
    }
    String value = header.trim();
    if (!value.regionMatches(true, 0, "bytes=", 0, 6) || value.indexOf(',') >= 0) {
      return new Whole(size);
    }
    String spec = value.substring(6).trim();
    int dash = spec.indexOf('-');
    if (dash < 0) {
      return new Whole(size);
    }
    String from = spec.substring(0, dash).trim();
    String to = spec.substring(dash + 1).trim();
    long first = parse(from);
    long last = parse(to);
    if ((from.isEmpty() && to.isEmpty()) || (!from.isEmpty() && first < 0) || (!to.isEmpty() && last < 0)) {
      return new Whole(size); // malformed: ignored
    }
    if (from.isEmpty()) {
      // Suffix range: the last `last` bytes.
      if (last == 0 || size == 0) {
        return new Unsatisfiable(size);
      }
      long length = Math.min(last, size);
      return new Partial(size - length, length, size);
    }
    if (to.isEmpty()) {
      last = Long.MAX_VALUE; // "first-": to the end
    } else if (last < first) {
      return new Whole(size); // malformed: ignored
    }
    if (first >= size) {
      return new Unsatisfiable(size);
    }
    long end = Math.min(last, size - 1);
    return new Partial(first, end - first + 1, size);
  }

  /** A non-negative decimal, or -1 for anything else (empty, signs, overflow). */
  private static long parse(String digits) {
    if (digits.isEmpty() || digits.length() > 18) {
      return -1;
    }
    long value = 0;
    for (int i = 0; i < digits.length(); i++) {
      char c = digits.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      value = value * 10 + (c - '0');
    }
    return value;
  }
}

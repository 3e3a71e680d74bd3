package dev.faaster.packagestore;

import java.util.regex.Pattern;

/** Object keys of code packages. */
public final class PackageKeys {

  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

  private PackageKeys() {}

  /** Published packages are stored once per content, whoever uploaded them. */
  public static String contentAddressed(String sha256) {
    return "packages/sha256/" + requireDigest(sha256) + ".zip";
  }

  /** A function's $LATEST upload, private to the function until it is published. */
  public static String staging(String tenantId, String functionId, String sha256) {
    return "staging/" + tenantId + "/" + functionId + "/" + requireDigest(sha256) + ".zip";
  }

  public static boolean isDigest(String value) {
    return value != null && SHA256.matcher(value).matches();
  }

  private static String requireDigest(String sha256) {
    if (!isDigest(sha256)) {
      throw new IllegalArgumentException("not a lowercase hex sha256: " + sha256);
    }
    return sha256;
  }
}

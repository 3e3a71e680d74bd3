package dev.faaster.api.auth;

import dev.faaster.packagestore.Sha256;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * Bearer token secrets. A token carries 256 random bits, so a plain sha256 is enough to store it: a
 * slow password hash protects low-entropy secrets, which these are not.
 */
public final class Tokens {

  static final String PREFIX = "fst_";
  private static final SecureRandom RANDOM = new SecureRandom();

  private Tokens() {}

  public static String newSecret() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  public static String hash(String secret) {
    return Sha256.hex(secret.getBytes(StandardCharsets.UTF_8));
  }
}

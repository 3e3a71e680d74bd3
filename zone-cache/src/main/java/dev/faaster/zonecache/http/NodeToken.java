package dev.faaster.zonecache.http;

import dev.faaster.packagestore.Sha256;
import dev.faaster.zonecache.ZoneCacheConfiguration;
import io.micronaut.context.annotation.Context;
import io.micronaut.context.exceptions.ConfigurationException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * The secret the zone's nodes authenticate with. Required: the process refuses to start without
 * one. Compared in constant time: both sides are hashed to 32 bytes first, so neither the position
 * of the first differing byte nor the length of the guess shows in the time taken.
 */
@Context
public class NodeToken {

  private final byte[] expected;

  public NodeToken(ZoneCacheConfiguration configuration) {
    String token = configuration.nodeToken();
    if (token == null || token.isBlank()) {
      throw new ConfigurationException(
          "faaster.zone-cache.node-token is empty: set FAASTER_ZONE_CACHE_NODE_TOKEN to the secret the zone's"
              + " nodes send as 'Authorization: Bearer <token>'");
    }
    this.expected = hash(token);
  }

  public boolean matches(String presented) {
    return MessageDigest.isEqual(expected, hash(presented));
  }

  private static byte[] hash(String secret) {
    return HexFormat.of().parseHex(Sha256.hex(secret.getBytes(StandardCharsets.UTF_8)));
  }
}

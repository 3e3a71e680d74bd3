package dev.faaster.zonecache;

import io.micronaut.http.HttpHeaders;
import java.nio.charset.StandardCharsets;

/**
 * One HTTP answer as a node sees it.
 *
 * @param status status code
 * @param headers response headers
 * @param body body bytes (empty when none)
 */
public record Reply(int status, HttpHeaders headers, byte[] body) {

  public String header(String name) {
    return headers.get(name);
  }

  public String text() {
    return new String(body, StandardCharsets.UTF_8);
  }

  @Override
  public String toString() {
    return status + " " + (body.length < 500 ? text() : body.length + " bytes");
  }
}

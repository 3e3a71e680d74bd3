package dev.faaster.api;

import dev.faaster.api.error.ApiError;
import io.micronaut.core.type.Argument;
import io.micronaut.http.HttpHeaders;
import io.micronaut.json.JsonMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * One HTTP answer, whatever its status: tests assert on error responses as plainly as on successes.
 *
 * @param status the status code
 * @param headers the response headers
 * @param body the raw body bytes (empty when there was none)
 */
record Reply(int status, HttpHeaders headers, byte[] body, JsonMapper json) {

  <T> T as(Class<T> type) {
    return as(Argument.of(type));
  }

  <T> T as(Argument<T> type) {
    try {
      return json.readValue(body, type);
    } catch (IOException e) {
      throw new UncheckedIOException("not a " + type.getTypeName() + ": " + text(), e);
    }
  }

  Map<String, Object> asMap() {
    return as(Argument.mapOf(String.class, Object.class));
  }

  /** The API's error body; fails the test if the body isn't one. */
  ApiError.Detail error() {
    ApiError error = as(ApiError.class);
    if (error == null || error.error() == null) {
      throw new AssertionError("not an API error body (status " + status + "): " + text());
    }
    return error.error();
  }

  String header(String name) {
    return headers.get(name);
  }

  String text() {
    return new String(body, StandardCharsets.UTF_8);
  }

  @Override
  public String toString() {
    return status + " " + text();
  }
}

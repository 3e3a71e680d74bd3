package dev.faaster.zonecache.http;

import io.micronaut.serde.annotation.Serdeable;

/**
 * The body of every error response, the api's shape: {@code {"error": {"code": "...", "message": "..."}}}.
 *
 * @param error what went wrong
 */
@Serdeable
public record ZoneCacheError(Detail error) {

  /**
   * @param code stable machine-readable code (see {@link ErrorCode})
   * @param message one sentence a person understands; names the tier that failed
   */
  @Serdeable
  public record Detail(String code, String message) {}

  public static ZoneCacheError of(String code, String message) {
    return new ZoneCacheError(new Detail(code, message));
  }
}

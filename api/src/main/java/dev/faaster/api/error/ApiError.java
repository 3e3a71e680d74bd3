package dev.faaster.api.error;

import io.micronaut.serde.annotation.Serdeable;

/**
 * The body of every error response: {@code {"error": {"code": "...", "message": "..."}}}.
 *
 * @param error what went wrong
 */
@Serdeable
public record ApiError(Detail error) {

  /**
   * @param code stable machine-readable code (see {@link ErrorCode})
   * @param message one sentence a person understands
   */
  @Serdeable
  public record Detail(String code, String message) {}

  public static ApiError of(String code, String message) {
    return new ApiError(new Detail(code, message));
  }
}

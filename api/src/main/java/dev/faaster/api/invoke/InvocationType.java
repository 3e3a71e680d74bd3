package dev.faaster.api.invoke;

import dev.faaster.api.error.ApiException;
import dev.faaster.api.error.ErrorCode;
import io.micronaut.core.annotation.Nullable;

/** How the caller wants the invocation run ({@value #HEADER}), after Lambda's InvocationType. */
public enum InvocationType {
  /** Wait for the function's response (the default). */
  REQUEST_RESPONSE("RequestResponse"),
  /** Accept the event, run it in the background with retries, answer 202 with where its result will be. */
  EVENT("Event");

  public static final String HEADER = "X-Faaster-Invocation-Type";

  private final String headerValue;

  InvocationType(String headerValue) {
    this.headerValue = headerValue;
  }

  public String headerValue() {
    return headerValue;
  }

  /** The type a header value names; absent means {@link #REQUEST_RESPONSE}. */
  public static InvocationType fromHeader(@Nullable String value) {
    if (value == null || value.isBlank()) {
      return REQUEST_RESPONSE;
    }
    for (InvocationType type : values()) {
      if (type.headerValue.equalsIgnoreCase(value.strip())) {
        return type;
      }
    }
    throw ApiException.badRequest(
        ErrorCode.INVALID_INVOCATION_TYPE,
        HEADER + " must be RequestResponse or Event, not '" + value.strip() + "'.");
  }
}

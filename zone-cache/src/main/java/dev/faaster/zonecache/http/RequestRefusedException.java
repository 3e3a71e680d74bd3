package dev.faaster.zonecache.http;

import io.micronaut.http.HttpStatus;

/** A request the zone cache refuses before touching any package: a status, a stable code, a sentence. */
public final class RequestRefusedException extends RuntimeException {

  private final HttpStatus status;
  private final String code;

  public RequestRefusedException(HttpStatus status, String code, String message) {
    super(message);
    this.status = status;
    this.code = code;
  }

  public HttpStatus status() {
    return status;
  }

  public String code() {
    return code;
  }
}

package dev.faaster.zonecache.http;

import dev.faaster.zonecache.store.PackageUnavailableException;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.annotation.Produces;
import io.micronaut.http.server.exceptions.ExceptionHandler;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Maps the zone cache's own exceptions to their JSON error responses. */
final class ErrorHandlers {

  private static final Logger log = LoggerFactory.getLogger(ErrorHandlers.class);

  private ErrorHandlers() {}

  /** 404 when the origin has no such package, 502 when its copy is corrupt, 503 when it can't be reached. */
  static HttpStatus statusOf(PackageUnavailableException.Reason reason) {
    return switch (reason) {
      case NOT_AT_ORIGIN -> HttpStatus.NOT_FOUND;
      case ORIGIN_DIGEST_MISMATCH -> HttpStatus.BAD_GATEWAY;
      case ORIGIN_UNAVAILABLE -> HttpStatus.SERVICE_UNAVAILABLE;
      case LARGER_THAN_CACHE -> HttpStatus.INSUFFICIENT_STORAGE;
      case CACHE_STORAGE_FAILED -> HttpStatus.INTERNAL_SERVER_ERROR;
    };
  }

  @Produces
  @Singleton
  static class PackageUnavailableHandler
      implements ExceptionHandler<PackageUnavailableException, HttpResponse<ZoneCacheError>> {

    @Override
    public HttpResponse<ZoneCacheError> handle(HttpRequest request, PackageUnavailableException exception) {
      log.debug("{} {}: {}", request.getMethod(), request.getPath(), exception.getMessage());
      return HttpResponse.<ZoneCacheError>status(statusOf(exception.reason()))
          .body(ZoneCacheError.of(exception.reason().name(), exception.getMessage()));
    }
  }

  @Produces
  @Singleton
  static class RequestRefusedHandler implements ExceptionHandler<RequestRefusedException, HttpResponse<ZoneCacheError>> {

    @Override
    public HttpResponse<ZoneCacheError> handle(HttpRequest request, RequestRefusedException exception) {
      log.debug("{} {}: {} {}", request.getMethod(), request.getPath(), exception.status().getCode(), exception.getMessage());
      return HttpResponse.<ZoneCacheError>status(exception.status())
          .body(ZoneCacheError.of(exception.code(), exception.getMessage()));
    }
  }
}

package dev.faaster.zonecache.http;

import io.micronaut.context.annotation.Primary;
import io.micronaut.http.HttpMethod;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.server.exceptions.response.Error;
import io.micronaut.http.server.exceptions.response.ErrorContext;
import io.micronaut.http.server.exceptions.response.ErrorResponseProcessor;
import jakarta.inject.Singleton;
import jakarta.validation.ConstraintViolationException;
import java.util.stream.Collectors;

/** Gives the errors Micronaut raises itself (unknown route, bad JSON, failed validation) the zone cache's error body. */
@Singleton
@Primary
public class ZoneCacheErrorResponseProcessor implements ErrorResponseProcessor<ZoneCacheError> {

  @Override
  @SuppressWarnings("unchecked")
  public MutableHttpResponse<ZoneCacheError> processResponse(ErrorContext context, MutableHttpResponse<?> response) {
    if (context.getRequest().getMethod() == HttpMethod.HEAD) {
      return (MutableHttpResponse<ZoneCacheError>) response;
    }
    HttpStatus status = response.getStatus();
    String message = context.getErrors().stream().map(Error::getMessage).distinct().collect(Collectors.joining("; "));
    if (message.isBlank()) {
      message = status.getReason();
    }
    if (status.getCode() >= 500) {
      // Internal details stay in the log.
      message = "The zone cache failed to handle the request; see its log for details.";
    }
    String code =
        switch (status) {
          case BAD_REQUEST ->
              context.getRootCause().filter(cause -> cause instanceof ConstraintViolationException).isPresent()
                  ? ErrorCode.VALIDATION_FAILED
                  : ErrorCode.MALFORMED_REQUEST;
          case NOT_FOUND -> ErrorCode.NOT_FOUND;
          case METHOD_NOT_ALLOWED -> ErrorCode.METHOD_NOT_ALLOWED;
          default -> status.getCode() >= 500 ? ErrorCode.INTERNAL : ErrorCode.MALFORMED_REQUEST;
        };
    return response.body(ZoneCacheError.of(code, message)).contentType(MediaType.APPLICATION_JSON_TYPE);
  }
}

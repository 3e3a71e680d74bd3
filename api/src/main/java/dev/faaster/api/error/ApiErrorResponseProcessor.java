package dev.faaster.api.error;

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

/**
 * Gives the errors Micronaut raises itself (unknown route, bad JSON, failed bean validation, wrong
 * media type) the same body and codes as the API's own errors.
 */
@Singleton
@Primary
public class ApiErrorResponseProcessor implements ErrorResponseProcessor<ApiError> {

  @Override
  public MutableHttpResponse<ApiError> processResponse(ErrorContext context, MutableHttpResponse<?> response) {
    if (context.getRequest().getMethod() == HttpMethod.HEAD) {
      return (MutableHttpResponse<ApiError>) response;
    }
    HttpStatus status = response.getStatus();
    String message =
        context.getErrors().stream().map(Error::getMessage).distinct().collect(Collectors.joining("; "));
    if (message.isBlank()) {
      message = status.getReason();
    }
    if (status.getCode() >= 500) {
      // Internal details stay in the log, not in the response.
      message = "The server failed to handle the request; see its log for details.";
    }
    String code = codeFor(status);
    if (status == HttpStatus.BAD_REQUEST
        && context.getRootCause().filter(cause -> cause instanceof ConstraintViolationException).isEmpty()) {
      // Not a failed constraint: the body or a parameter couldn't even be read.
      code = ErrorCode.MALFORMED_REQUEST;
    }
    return response.body(ApiError.of(code, message)).contentType(MediaType.APPLICATION_JSON_TYPE);
  }

  static String codeFor(HttpStatus status) {
    return switch (status) {
      case BAD_REQUEST -> ErrorCode.VALIDATION_FAILED;
      case UNAUTHORIZED -> ErrorCode.UNAUTHENTICATED;
      case FORBIDDEN -> ErrorCode.FORBIDDEN;
      case NOT_FOUND -> ErrorCode.NOT_FOUND;
      case METHOD_NOT_ALLOWED -> ErrorCode.METHOD_NOT_ALLOWED;
      case UNSUPPORTED_MEDIA_TYPE -> ErrorCode.UNSUPPORTED_MEDIA_TYPE;
      case REQUEST_ENTITY_TOO_LARGE -> ErrorCode.PAYLOAD_TOO_LARGE;
      case TOO_MANY_REQUESTS -> ErrorCode.TOO_MANY_REQUESTS;
      case SERVICE_UNAVAILABLE -> ErrorCode.SERVICE_UNAVAILABLE;
      default -> status.getCode() >= 500 ? ErrorCode.INTERNAL : ErrorCode.MALFORMED_REQUEST;
    };
  }
}

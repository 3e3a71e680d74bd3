package dev.faaster.api.invoke;

import dev.faaster.api.ApiRole;
import dev.faaster.api.auth.Caller;
import dev.faaster.api.error.ApiException;
import dev.faaster.api.error.ErrorCode;
import io.micronaut.context.annotation.Requires;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpHeaders;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.Header;
import io.micronaut.http.annotation.Post;
import io.micronaut.http.annotation.QueryValue;
import io.micronaut.json.JsonMapper;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * Invocations: synchronous (the event in, the function's response out) or, with {@value
 * InvocationType#HEADER}: Event, asynchronous (202 at once, the outcome read later at its result URL).
 */
@Controller("/v1/functions/{name}/invocations")
@ExecuteOn(TaskExecutors.BLOCKING)
@Requires(property = "faaster.roles", pattern = ApiRole.PATTERN)
@Tag(name = "invocations")
public class InvocationController {

  private final InvocationService invocations;
  private final AsyncInvocationService events;
  private final InvocationSettings settings;
  private final AsyncInvocationSettings eventSettings;
  private final JsonMapper json;

  public InvocationController(
      InvocationService invocations,
      AsyncInvocationService events,
      InvocationSettings settings,
      AsyncInvocationSettings eventSettings,
      JsonMapper json) {
    this.invocations = invocations;
    this.events = events;
    this.settings = settings;
    this.eventSettings = eventSettings;
    this.json = json;
  }

  @Operation(
      summary = "Invoke a function and wait for its response",
      description =
          "Runs the version the qualifier names (a version number or an alias; none: the highest published"
              + " version) with the request body as the event (at most 6 MiB). Answers 200 with the function's"
              + " response; a function error (including a timeout) is also a 200, flagged with"
              + " X-Faaster-Function-Error: Unhandled and an {errorType, errorMessage, trace} body. X-Faaster-Cold-Start"
              + " says whether the invocation waited for a new instance, whose stages Server-Timing and"
              + " X-Faaster-Cold-Start-Stages break down. 429 beyond the function's concurrency limit."
              + " With X-Faaster-Invocation-Type: Event the event (at most 256 KiB) is accepted at once: 202 with"
              + " its invocation id and result URL (also in Location); it runs in the background, a failed"
              + " attempt is retried twice (1 s, then 2 s later), a throttled one until the event is 6 hours old.")
  @ApiResponse(responseCode = "200", description = "The function's response, or its error")
  @ApiResponse(responseCode = "202", description = "Event accepted (X-Faaster-Invocation-Type: Event)")
  @ApiResponse(responseCode = "400", description = "A malformed qualifier or invocation type")
  @ApiResponse(responseCode = "404", description = "No such function, version or alias")
  @ApiResponse(responseCode = "413", description = "The event is larger than 6 MiB (256 KiB for an Event)")
  @ApiResponse(responseCode = "429", description = "The function's concurrency limit is reached")
  @Post(consumes = MediaType.ALL, produces = MediaType.APPLICATION_JSON)
  public HttpResponse<?> invoke(
      Caller caller,
      String name,
      @Parameter(description = "A version number or an alias name; default: the highest published version")
          @Nullable @QueryValue String qualifier,
      @Parameter(description = "RequestResponse (default): wait for the response; Event: run in the background")
          @Nullable @Header(InvocationType.HEADER) String invocationType,
      @Nullable @Header(HttpHeaders.CONTENT_LENGTH) Long contentLength,
      @Nullable @Body InputStream body) {
    String tenant = caller.tenant();
    InvocationService.checkQualifier(qualifier);
    InvocationType type;
    try {
      type = InvocationType.fromHeader(invocationType);
    } catch (ApiException e) {
      close(body);
      throw e;
    }
    if (type == InvocationType.EVENT) {
      byte[] event = read(body, contentLength, eventSettings.maxPayloadBytes());
      AsyncInvocationView accepted = events.accept(tenant, name, qualifier, event);
      return HttpResponse.accepted()
          .body(accepted)
          .header(HttpHeaders.LOCATION, accepted.resultUrl())
          .header(InvocationHeaders.INVOCATION_ID, accepted.invocationId())
          .header(InvocationHeaders.VERSION, String.valueOf(accepted.version()));
    }
    byte[] event = read(body, contentLength, settings.maxPayloadBytes());
    InvocationResult result = invocations.invoke(tenant, name, qualifier, event);
    return response(result);
  }

  @Operation(
      summary = "Read an asynchronous invocation",
      description =
          "Where an event accepted with X-Faaster-Invocation-Type: Event stands: RUNNING (also while it waits"
              + " to retry), SUCCEEDED with the function's response (JSON, up to 256 KiB kept), or FAILED with the"
              + " last attempt's error, or why no attempt could run. Results are kept as long as the Temporal"
              + " namespace keeps closed workflows.")
  @ApiResponse(responseCode = "200", description = "The invocation")
  @ApiResponse(responseCode = "404", description = "No such function, or no such invocation of it for this tenant")
  @Get(uri = "/{invocationId}", produces = MediaType.APPLICATION_JSON)
  public AsyncInvocationView result(Caller caller, String name, String invocationId) {
    return events.find(caller.tenant(), name, invocationId);
  }

  private static void close(@Nullable InputStream body) {
    if (body != null) {
      try {
        body.close();
      } catch (IOException ignored) {
        // refusing the request anyway
      }
    }
  }

  private byte[] read(@Nullable InputStream body, @Nullable Long contentLength, int limit) {
    if (body == null) {
      return new byte[0];
    }
    // Closing the stream, also when refusing, releases the unread rest of the body.
    try (InputStream in = body) {
      if (contentLength != null && contentLength > limit) {
        throw tooLarge(contentLength, limit);
      }
      byte[] event = in.readNBytes(limit + 1);
      if (event.length > limit) {
        throw tooLarge(null, limit);
      }
      return event;
    } catch (IOException e) {
      throw new UncheckedIOException("reading the event", e);
    }
  }

  private static ApiException tooLarge(@Nullable Long size, int limit) {
    return new ApiException(
        HttpStatus.REQUEST_ENTITY_TOO_LARGE,
        ErrorCode.PAYLOAD_TOO_LARGE,
        "The event " + (size == null ? "is larger than " : "of " + size + " bytes exceeds ")
            + limit + " bytes, the invocation payload limit.");
  }

  private HttpResponse<byte[]> response(InvocationResult result) {
    InvocationOutcome outcome = result.outcome();
    byte[] body = outcome.status() == InvocationOutcome.Status.OK ? outcome.payload() : errorBody(outcome);
    MutableHttpResponse<byte[]> response =
        HttpResponse.ok(body)
            .contentType(MediaType.APPLICATION_JSON_TYPE)
            .header(InvocationHeaders.COLD_START, String.valueOf(result.cold()))
            .header(InvocationHeaders.VERSION, String.valueOf(result.version()))
            .header(InvocationHeaders.INSTANCE_ID, result.instanceId())
            .header(InvocationHeaders.INVOCATION_ID, result.invocationId());
    if (result.coldStart() != null && result.coldStart().stages() != null) {
      response.header(InvocationHeaders.SERVER_TIMING, InvocationHeaders.serverTiming(result.coldStart().stages()));
      response.header(InvocationHeaders.COLD_START_STAGES, InvocationHeaders.stages(result.coldStart()));
    }
    if (outcome.status() != InvocationOutcome.Status.OK) {
      response.header(InvocationHeaders.FUNCTION_ERROR, InvocationErrors.UNHANDLED);
    }
    return response;
  }

  private byte[] errorBody(InvocationOutcome outcome) {
    try {
      return json.writeValueAsBytes(
          new FunctionErrorView(
              outcome.errorType() == null ? "Runtime.Unknown" : outcome.errorType(),
              outcome.errorMessage() == null ? "" : outcome.errorMessage(),
              outcome.trace()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}

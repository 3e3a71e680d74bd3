package dev.faaster.api.invoke;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.json.tree.JsonNode;
import io.micronaut.serde.annotation.Serdeable;

/**
 * An asynchronous invocation as the API shows it.
 *
 * @param invocationId its id
 * @param status {@code RUNNING} (accepted, running or waiting to retry), {@code SUCCEEDED} or
 *     {@code FAILED}
 * @param functionName the function
 * @param version the version it runs (the qualifier resolved when it was accepted)
 * @param attempts attempts made, once it ended (0 while it runs)
 * @param instanceId the instance of the last attempt
 * @param response the function's response when it is JSON and kept
 * @param responseBytes the response's size
 * @param responseOmitted why the response isn't shown (not JSON, or larger than the kept size)
 * @param errorType the last attempt's function error type
 * @param errorMessage the last attempt's function error message
 * @param failure why the event failed when no function outcome says it (e.g. FunctionNotFound)
 * @param failureMessage a sentence about it
 * @param resultUrl where to read this
 */
@Serdeable
@JsonInclude(JsonInclude.Include.NON_NULL)
public record AsyncInvocationView(
    String invocationId,
    String status,
    String functionName,
    int version,
    int attempts,
    @Nullable String instanceId,
    @Nullable JsonNode response,
    @Nullable Integer responseBytes,
    @Nullable String responseOmitted,
    @Nullable String errorType,
    @Nullable String errorMessage,
    @Nullable String failure,
    @Nullable String failureMessage,
    String resultUrl) {

  public static final String RUNNING = "RUNNING";
}

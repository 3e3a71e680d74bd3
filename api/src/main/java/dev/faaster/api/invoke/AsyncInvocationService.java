package dev.faaster.api.invoke;

import dev.faaster.api.ApiRole;
import dev.faaster.api.error.ApiException;
import dev.faaster.registry.FunctionRecord;
import dev.faaster.api.functions.FunctionService;
import dev.faaster.workflows.invoke.AsyncInvocationRequest;
import dev.faaster.workflows.invoke.AsyncInvocationResult;
import dev.faaster.workflows.invoke.InvocationAttempt;
import io.micronaut.context.annotation.Requires;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.json.JsonMapper;
import io.micronaut.json.tree.JsonNode;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.time.Duration;
import java.util.UUID;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Asynchronous invocations (Lambda's Event invocation type): an accepted event is resolved to one
 * version at once (unknown functions, versions and aliases answer 404 then, not later), handed to
 * {@link AsyncInvocations} to run with retries, and read back by its id, only by its own tenant
 * and under its own function.
 */
@Singleton
@Requires(property = "faaster.roles", pattern = ApiRole.PATTERN)
public class AsyncInvocationService {

  private static final Logger log = LoggerFactory.getLogger(AsyncInvocationService.class);
  private static final Pattern INVOCATION_ID =
      Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
  /** Beyond the function's own bounds, for the step to report back. */
  private static final Duration STEP_MARGIN = Duration.ofSeconds(30);

  private final InvocationService invocations;
  private final FunctionService functions;
  private final AsyncInvocations running;
  private final AsyncInvocationSettings settings;
  private final InvocationSettings invocationSettings;
  private final JsonMapper json;

  public AsyncInvocationService(
      InvocationService invocations,
      FunctionService functions,
      AsyncInvocations running,
      AsyncInvocationSettings settings,
      InvocationSettings invocationSettings,
      JsonMapper json) {
    this.invocations = invocations;
    this.functions = functions;
    this.running = running;
    this.settings = settings;
    this.invocationSettings = invocationSettings;
    this.json = json;
  }

  /** Accepts the event for the qualifier's version and starts it; the view says where its result will be. */
  public AsyncInvocationView accept(String tenantId, String functionName, @Nullable String qualifier, byte[] event) {
    InvocationTarget target = invocations.target(tenantId, functionName, qualifier);
    String invocationId = UUID.randomUUID().toString();
    Duration timeout = Duration.ofSeconds(target.version().timeoutSeconds());
    // The router waits for a cold start, then runs the function.
    Duration attemptTimeout = invocationSettings.coldStartWaitFor(timeout).plus(timeout).plus(invocationSettings.invokeGrace()).plus(STEP_MARGIN);
    AsyncInvocationRequest request =
        new AsyncInvocationRequest(
            invocationId,
            tenantId,
            target.functionId(),
            target.functionName(),
            target.versionNumber(),
            event,
            settings.maxAttempts(),
            attemptTimeout,
            settings.maxEventAge());
    running.start(request, target.tenantName());
    log.atInfo()
        .setMessage("accepted event {} for {} version {}")
        .addArgument(invocationId)
        .addArgument(target.functionName())
        .addArgument(target.versionNumber())
        .addKeyValue("tenant", tenantId)
        .addKeyValue("function", target.functionName())
        .addKeyValue("version", target.versionNumber())
        .addKeyValue("invocation", invocationId)
        .log();
    return new AsyncInvocationView(
        invocationId, AsyncInvocationView.RUNNING, target.functionName(), target.versionNumber(), 0,
        null, null, null, null, null, null, null, null, resultUrl(target.functionName(), invocationId));
  }

  /** The event {@code invocationId} of the tenant's function {@code functionName}; 404 for any other. */
  public AsyncInvocationView find(String tenantId, String functionName, String invocationId) {
    FunctionRecord function = functions.require(tenantId, functionName);
    AsyncInvocationState state =
        (INVOCATION_ID.matcher(invocationId).matches() ? running.find(invocationId) : java.util.Optional.<AsyncInvocationState>empty())
            .filter(s -> s.tenantId().equals(tenantId) && s.functionId().equals(function.id()))
            .orElseThrow(() -> ApiException.notFound(
                "'" + function.name() + "' has no invocation '" + invocationId + "'."));
    return view(invocationId, state);
  }

  AsyncInvocationView view(String invocationId, AsyncInvocationState state) {
    String url = resultUrl(state.functionName(), invocationId);
    if (state.running()) {
      return new AsyncInvocationView(invocationId, AsyncInvocationView.RUNNING, state.functionName(), state.version(), 0,
          null, null, null, null, null, null, null, null, url);
    }
    AsyncInvocationResult result = state.result();
    if (result == null) {
      return new AsyncInvocationView(invocationId, AsyncInvocationResult.FAILED, state.functionName(), state.version(), 0,
          null, null, null, null, null, null, "Workflow" + capitalized(state.abnormalEnd()),
          "The invocation's workflow ended " + state.abnormalEnd() + " before it finished (an operator stopped it?).", url);
    }
    InvocationAttempt last = result.last();
    JsonNode response = null;
    Integer responseBytes = null;
    String omitted = null;
    if (last != null && last.succeeded()) {
      responseBytes = last.payloadBytes();
      if (last.payload() == null) {
        omitted = "The response (" + last.payloadBytes() + " bytes) is larger than the " + settings.resultBytes()
            + " bytes an asynchronous result keeps.";
      } else {
        response = parsed(last.payload());
        if (response == null) {
          omitted = "The response is not JSON.";
        }
      }
    }
    return new AsyncInvocationView(
        invocationId,
        result.status(),
        state.functionName(),
        last == null ? state.version() : last.version(),
        result.attempts(),
        last == null ? null : last.instanceId(),
        response,
        responseBytes,
        omitted,
        last == null ? null : last.errorType(),
        last == null ? null : last.errorMessage(),
        result.failureType(),
        result.failureMessage(),
        url);
  }

  private @Nullable JsonNode parsed(byte[] payload) {
    if (payload.length == 0) {
      return null;
    }
    try {
      return json.readValue(payload, JsonNode.class);
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  private static String capitalized(@Nullable String status) {
    if (status == null || status.isEmpty()) {
      return "Ended";
    }
    String lower = status.toLowerCase(java.util.Locale.ROOT).replace('_', ' ');
    StringBuilder out = new StringBuilder();
    for (String word : lower.split(" ")) {
      if (!word.isEmpty()) {
        out.append(Character.toUpperCase(word.charAt(0))).append(word.substring(1));
      }
    }
    return out.toString();
  }

  static String resultUrl(String functionName, String invocationId) {
    return "/v1/functions/" + functionName + "/invocations/" + invocationId;
  }
}

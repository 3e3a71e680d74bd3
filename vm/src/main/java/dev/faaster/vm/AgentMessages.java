package dev.faaster.vm;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.micronaut.core.annotation.Nullable;
import java.util.Map;

/**
 * The JSON meta of each agent message, field for field as guest/protocol/messages.go defines them.
 * Unknown fields are ignored (a newer agent may add some); empty optional fields are left out, as
 * Go's {@code omitempty} does.
 */
public final class AgentMessages {

  private AgentMessages() {}

  /** Runtimes LOAD_CODE may name. */
  public static final String RUNTIME_PROVIDED = "provided";
  public static final String RUNTIME_PYTHON3 = "python3";

  /** Invocation outcomes ({@link ResultMeta#status()}). */
  public static final String STATUS_OK = "ok";
  public static final String STATUS_FUNCTION_ERROR = "function_error";
  public static final String STATUS_TIMEOUT = "timeout";

  /** SET_IDENTITY body: fewest and most random bytes the agent accepts. */
  public static final int MIN_ENTROPY = 32;
  public static final int MAX_ENTROPY = 4096;

  /** Meta of READY (0x81) and PONG (0x82). */
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Status(
      int protocol,
      String agent,
      String runtime,
      boolean runtimeReady,
      String instanceId,
      boolean codeLoaded,
      boolean busy,
      long uptimeMs,
      long connections) {}

  /** Meta of SET_IDENTITY (0x03); the request body carries the entropy bytes. */
  @JsonInclude(JsonInclude.Include.NON_EMPTY)
  public record IdentityRequest(
      String instanceId,
      String hostname,
      String ip,
      @JsonInclude(JsonInclude.Include.NON_DEFAULT) int prefix,
      String gateway,
      String mac,
      @JsonProperty("interface") String networkInterface,
      @JsonInclude(JsonInclude.Include.NON_DEFAULT) long unixTimeMs) {

    /** Identity without network settings. */
    public static IdentityRequest of(String instanceId, String hostname, String mac, long unixTimeMs) {
      return new IdentityRequest(instanceId, hostname, null, 0, null, mac, null, unixTimeMs);
    }
  }

  /**
   * Meta of IDENTITY_SET (0x83). {@code stepsMicros}: how long each step took in the guest, in
   * microseconds (null from an agent that doesn't report it).
   */
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record IdentityReply(
      String instanceId,
      String hostname,
      String network,
      @JsonProperty("interface") String networkInterface,
      int entropyBytes,
      boolean kernelReseeded,
      boolean runtimeReseeded,
      boolean clockSet,
      @Nullable Map<String, Long> stepsMicros) {}

  /** Meta of LOAD_CODE (0x04); the request body carries the zip unless {@code path} is set. */
  @JsonInclude(JsonInclude.Include.NON_EMPTY)
  public record LoadCodeRequest(
      String runtime,
      String handler,
      Map<String, String> env,
      String path,
      String codeSha256,
      String functionName,
      String functionVersion,
      @JsonInclude(JsonInclude.Include.NON_DEFAULT) int memoryMiB,
      @JsonInclude(JsonInclude.Include.NON_NULL) String share) {

    /** A request without a share: the zip goes in the body, or {@code path} names it in the guest. */
    public LoadCodeRequest(String runtime, String handler, Map<String, String> env, String path, String codeSha256,
        String functionName, String functionVersion, int memoryMiB) {
      this(runtime, handler, env, path, codeSha256, functionName, functionVersion, memoryMiB, null);
    }

    /** The same request reading the package in place: directory {@code packageDir} of share {@code tag}. */
    public LoadCodeRequest inShare(String tag, String packageDir) {
      return new LoadCodeRequest(runtime, handler, env, packageDir, codeSha256, functionName, functionVersion, memoryMiB,
          tag);
    }
  }

  /** Meta of CODE_LOADED (0x84). */
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record LoadCodeReply(
      String runtime, String handler, String codeDir, int files, long bytes, double loadMs,
      @Nullable Map<String, Long> stepsMicros) {}

  /** Meta of INVOKE (0x05); the request body carries the event. */
  @JsonInclude(JsonInclude.Include.NON_EMPTY)
  public record InvokeRequest(@JsonInclude(JsonInclude.Include.ALWAYS) long timeoutMs, String invocationId) {}

  /** Meta of RESULT (0x85); the body carries the function's response. */
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record ResultMeta(
      String status,
      double durationMs,
      String errorType,
      String errorMessage,
      String trace,
      String stderrTail,
      Integer exitCode) {

    public boolean ok() {
      return STATUS_OK.equals(status);
    }
  }

  /** A RESULT: its meta and the response bytes. */
  public record InvokeResult(ResultMeta meta, byte[] payload) {}

  /** Meta of SHUTDOWN_ACK (0x86). */
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record ShutdownReply(boolean powerOff) {}

  /** Meta of ERROR (0xFF). */
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record ErrorMeta(String code, String message, String detail) {}
}

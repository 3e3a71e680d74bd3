package dev.faaster.vm;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The QMP commands the template and clone paths use, sent through libvirt's monitor passthrough
 * ({@code virDomainQemuMonitorCommand}) on one domain. QEMU's own errors become
 * {@link HypervisorException}s naming the command and QEMU's error class.
 */
public final class Qmp {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern TB_COUNT = Pattern.compile("(?m)^TB count\\s+(\\d+)$");

  private final Hypervisor hypervisor;
  private final String domain;

  public Qmp(Hypervisor hypervisor, String domain) {
    this.hypervisor = hypervisor;
    this.domain = domain;
  }

  /** Pauses the vCPUs. */
  public void stop() {
    execute("stop", null);
  }

  /** Resumes the vCPUs (after an incoming migration of a paused source the VM stays paused). */
  public void cont() {
    execute("cont", null);
  }

  /** QEMU's run state: {@code running}, {@code paused}, {@code inmigrate}, {@code postmigrate}, ... */
  public String status() {
    return execute("query-status", null).path("status").asText("");
  }

  /**
   * Turns on x-ignore-shared: RAM blocks backed by a shared file are not sent by a migration and
   * are expected to be mapped already by the destination. Both ends must set it.
   */
  public void ignoreShared() {
    ObjectNode cap = JSON.createObjectNode().put("capability", "x-ignore-shared").put("state", true);
    ObjectNode args = JSON.createObjectNode();
    args.putArray("capabilities").add(cap);
    execute("migrate-set-capabilities", args);
  }

  /** Starts an outgoing migration to {@code uri} (e.g. {@code unix:/path}); returns at once. */
  public void migrate(String uri) {
    execute("migrate", JSON.createObjectNode().put("uri", uri));
  }

  /** Starts listening for the incoming migration on {@code uri}; needs {@code -incoming defer}. */
  public void migrateIncoming(String uri) {
    execute("migrate-incoming", JSON.createObjectNode().put("uri", uri));
  }

  /** The migration's state: status ({@code active}, {@code completed}, {@code failed}, ...) and error. */
  public MigrationStatus queryMigrate() {
    JsonNode r = execute("query-migrate", null);
    return new MigrationStatus(r.path("status").asText("none"), r.path("error-desc").asText(null));
  }

  /**
   * How many blocks of guest code this QEMU process has translated so far (TCG's "TB count" in
   * {@code x-query-jit}). A new process starts with none, so right after a clone's first answer it
   * is the guest code that answer took: under TCG, translating it is most of a restore's time.
   * Empty when QEMU reports no count; an error reply (e.g. under KVM, which translates nothing)
   * throws.
   */
  public OptionalLong translatedBlocks() {
    Matcher m = TB_COUNT.matcher(execute("x-query-jit", null).path("human-readable-text").asText(""));
    return m.find() ? OptionalLong.of(Long.parseLong(m.group(1))) : OptionalLong.empty();
  }

  /**
   * Sends {@code command} with optional arguments and returns QMP's {@code return} value.
   *
   * @throws HypervisorException on a QMP error reply or an unreachable monitor
   */
  public JsonNode execute(String command, JsonNode arguments) {
    ObjectNode req = JSON.createObjectNode().put("execute", command);
    if (arguments != null) {
      req.set("arguments", arguments);
    }
    String reply = hypervisor.qmp(domain, req.toString());
    JsonNode r;
    try {
      r = JSON.readTree(reply);
    } catch (JsonProcessingException e) {
      throw new HypervisorException("QMP " + command + " on " + domain + ": unparsable reply " + reply, e);
    }
    JsonNode err = r.get("error");
    if (err != null) {
      throw new HypervisorException("QMP " + command + " on " + domain + " failed: "
          + err.path("class").asText("?") + ": " + err.path("desc").asText(""));
    }
    return r.path("return");
  }

  /**
   * One {@code query-migrate} answer.
   *
   * @param status QEMU's MigrationStatus ({@code none} before any migration)
   * @param error QEMU's error description when failed, else null
   */
  public record MigrationStatus(String status, String error) {

    public boolean completed() {
      return "completed".equals(status);
    }

    public boolean failed() {
      return "failed".equals(status) || "cancelled".equals(status);
    }
  }
}

package dev.faaster.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Each runtime's template, restored, runs a real function and returns its output; what goes wrong
 * inside the guest (a package that is not a zip or escapes its directory, a bootstrap that fails, a
 * function over its timeout) comes back as an agent error or a function error, never as a hung VM:
 * the clone answers PING right afterwards and runs the next invocation.
 */
@ExtendWith(QemuStack.class)
@QemuStack.Images({"provided", "python3"})
class RuntimesIT {

  private static final Logger LOG = LoggerFactory.getLogger(RuntimesIT.class);
  static final Duration AGENT = Duration.ofSeconds(30);
  static final ObjectMapper JSON = new ObjectMapper();
  static final SecureRandom RANDOM = new SecureRandom();

  static VmSettings settings;
  static LibvirtHypervisor hv;
  static TemplateBuilder builder;
  static CloneFactory clones;
  static final Map<String, TemplateImage> templates = new java.util.HashMap<>();

  /** provided: the event upper-cased, with the invocation id, the event's length and an env value. */
  static final String SHOUT = """
      #!/bin/sh
      event=$(cat)
      printf '%s|%s|%s|%s' "$FAASTER_INVOCATION_ID" "$(printf '%s' "$event" | tr 'a-z' 'A-Z')" \\
        "$(printf '%s' "$event" | wc -c | tr -d ' ')" "$GREETING"
      """;

  /** python3: arithmetic on the event, plus what the context and the environment carry. */
  static final String ADDER = """
      import os

      def handler(event, context):
          numbers = event["numbers"]
          return {
              "sum": sum(numbers),
              "max": max(numbers),
              "greeting": os.environ["GREETING"] + " " + event["name"],
              "requestId": context.aws_request_id,
              "function": context.function_name,
          }
      """;

  /** Answers "done-<event>", sleeps a minute for the event "slow"; says whether ../escape.sh exists. */
  static final String PROVIDED_PROBE = """
      #!/bin/sh
      event=$(cat)
      [ "$event" = slow ] && sleep 60
      if [ -e "$FAASTER_CODE_DIR/../escape.sh" ]; then where=escaped; else where=contained; fi
      printf 'done-%s %s' "$event" "$where"
      """;

  static final String PYTHON_PROBE = """
      import os, time

      def handler(event, context):
          if event == "slow":
              time.sleep(60)
          here = os.path.dirname(os.path.abspath(__file__))
          where = "escaped" if os.path.exists(os.path.join(here, "..", "escape.sh")) else "contained"
          return "done-%s %s" % (event, where)
      """;

  @BeforeAll
  static void buildTemplates() {
    settings = QemuStack.settings(QemuStack.uniquePrefix());
    hv = LibvirtHypervisor.connect(settings.uri());
    AgentReadiness agent = new AgentReadiness();
    builder = new TemplateBuilder(hv, agent, new AcceleratorDetector(hv, settings), settings);
    for (String runtime : List.of("provided", "python3")) {
      TemplateImage t = builder.build(GuestImage.fromDirectory(QemuStack.image(runtime).orElseThrow()), settings.flavor());
      LOG.info("template {} of {}: agent (runtime warm) answered {} ms after create, state {} KiB", t.id(), runtime,
          t.bootToAgent().toMillis(), t.stateBytes() / 1024);
      assertThat(t.runtime()).isEqualTo(runtime);
      templates.put(runtime, t);
    }
    clones = new CloneFactory(hv, agent, settings);
  }

  @AfterAll
  static void tearDown() {
    try {
      if (clones != null) {
        clones.close();
      }
      templates.values().forEach(builder::delete);
    } finally {
      QemuStack.cleanUp(hv, settings);
      if (hv != null) {
        hv.close();
      }
    }
  }

  @Test
  void providedRunsItsBootstrapWithTheEventOnStdinAndReturnsStdout() throws Exception {
    try (Clone c = Clone.of("provided")) {
      c.agent.loadCode(load("provided", null, Map.of("GREETING", "hi")), CodePackage.bootstrap(SHOUT), AGENT);
      AgentMessages.InvokeResult r = c.invoke("inv-7", "hello, faaster", 10_000);
      assertThat(r.meta().status()).as(describe(r)).isEqualTo(AgentMessages.STATUS_OK);
      assertThat(text(r)).isEqualTo("inv-7|HELLO, FAASTER|14|hi");
      LOG.info("provided: {} in {} ms (guest)", text(r), r.meta().durationMs());
    }
  }

  /**
   * The node's path: the package unpacked once on the host, its files linked into the clone's code
   * share, the guest mounting the share and running the function from there. Linked, not copied:
   * each file of the unpacked tree has a second name (the share's), and the guest reports the
   * share's directory as its code directory.
   */
  @ParameterizedTest
  @ValueSource(strings = {"provided", "python3"})
  void readsItsPackageInPlaceFromItsCodeShare(String runtime) throws Exception {
    Path tree = Files.createDirectories(
        settings.shareDir().resolveSibling("trees").resolve(runtime + "-" + System.nanoTime()));
    String file = runtime.equals("python3") ? "main.py" : "bootstrap";
    Files.writeString(tree.resolve(file), runtime.equals("python3") ? ADDER : SHOUT);
    Files.setPosixFilePermissions(tree.resolve(file),
        PosixFilePermissions.fromString(runtime.equals("python3") ? "r--r--r--" : "r-xr-xr-x"));
    String digest = "c".repeat(64);
    try (Clone c = Clone.of(runtime)) {
      Path share = clones.codeShare(templates.get(runtime), c.instance.name()).orElseThrow();
      String dir = CodeShares.link(share, digest, tree);
      AgentMessages.LoadCodeReply loaded = c.agent.loadCode(
          load(runtime, runtime.equals("python3") ? "main.handler" : null, Map.of("GREETING", "hi"))
              .inShare(DomainXml.CODE_SHARE_TAG, dir), null, AGENT);
      assertThat(loaded.codeDir()).isEqualTo("/run/faaster/shares/" + DomainXml.CODE_SHARE_TAG + "/" + digest);
      assertThat(Files.getAttribute(tree.resolve(file), "unix:nlink")).as("linked, not copied")
          .isEqualTo(2);
      if (runtime.equals("python3")) {
        AgentMessages.InvokeResult r = c.invoke("inv-share", "{\"numbers\":[1,2],\"name\":\"share\"}", 10_000);
        assertThat(r.meta().status()).as(describe(r)).isEqualTo(AgentMessages.STATUS_OK);
        assertThat(JSON.readTree(r.payload()).get("greeting").asText()).isEqualTo("hi share");
      } else {
        AgentMessages.InvokeResult r = c.invoke("inv-share", "in place", 10_000);
        assertThat(r.meta().status()).as(describe(r)).isEqualTo(AgentMessages.STATUS_OK);
        assertThat(text(r)).isEqualTo("inv-share|IN PLACE|8|hi");
      }
      LOG.info("{} ran in place from its code share; load in the guest {} ms (us: {})", runtime,
          Math.round(loaded.loadMs()), loaded.stepsMicros());
    } finally {
      QemuStack.deleteTree(tree);
    }
  }

  /**
   * Boot mode (functions without snapshots; bench vm's baseline): the template's devices, code
   * share included, on plain RAM. The benchmark's own boot path broke once when templates gained
   * the share device; this is the factory's.
   */
  @Test
  void aBootedInstanceMapsNoTemplateMemoryAndRunsAFunction() throws Exception {
    TemplateImage t = templates.get("provided");
    Instance booted = clones.boot(t);
    try (Clone c = new Clone(booted, AgentClient.connect(booted.agentSocket(), AGENT))) {
      assertThat(hv.liveXml(booted.name())).doesNotContain(t.memoryFile().toString()).doesNotContain("-incoming")
          .contains(DomainXml.CODE_SHARE_TAG);
      assertThat(clones.codeShare(t, booted.name()).orElseThrow()).isDirectory();
      c.identify();
      c.agent.loadCode(load("provided", null, Map.of("GREETING", "booted")), CodePackage.bootstrap(SHOUT), AGENT);
      AgentMessages.InvokeResult r = c.invoke("inv-boot", "cold", 10_000);
      assertThat(r.meta().status()).as(describe(r)).isEqualTo(AgentMessages.STATUS_OK);
      assertThat(text(r)).isEqualTo("inv-boot|COLD|4|booted");
      LOG.info("booted {} answered {} ms after create", booted.name(), booted.timings().agentAnswered().toMillis());
    }
    assertThat(hv.list(booted.name())).isEmpty();
  }

  @Test
  void python3RunsItsHandlerWithTheEventAndReturnsItsResult() throws Exception {
    try (Clone c = Clone.of("python3")) {
      AgentMessages.LoadCodeReply loaded = c.agent.loadCode(load("python3", "main.handler", Map.of("GREETING", "hello")),
          new CodePackage().file("main.py", ADDER, 0644).zip(), AGENT);
      assertThat(loaded.handler()).isEqualTo("main.handler");
      AgentMessages.InvokeResult r = c.invoke("inv-py", "{\"numbers\":[3,4,5],\"name\":\"faaster\"}", 10_000);
      assertThat(r.meta().status()).as(describe(r)).isEqualTo(AgentMessages.STATUS_OK);
      JsonNode out = JSON.readTree(r.payload());
      assertThat(out.get("sum").asInt()).isEqualTo(12);
      assertThat(out.get("max").asInt()).isEqualTo(5);
      assertThat(out.get("greeting").asText()).isEqualTo("hello faaster");
      assertThat(out.get("requestId").asText()).isEqualTo("inv-py");
      assertThat(out.get("function").asText()).isEqualTo("fn-it");
      LOG.info("python3: {} (load {} ms, invoke {} ms in the guest)", text(r), loaded.loadMs(), r.meta().durationMs());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"provided", "python3"})
  void aPackageThatIsNotAZipFailsLoadCodeAndTheCloneStillAnswers(String runtime) throws Exception {
    try (Clone c = Clone.of(runtime)) {
      byte[] notAZip = "#!/bin/sh\necho this is a script, not a zip\n".getBytes(StandardCharsets.UTF_8);
      assertThatThrownBy(() -> c.agent.loadCode(load(runtime), notAZip, AGENT))
          .isInstanceOfSatisfying(AgentException.class, e -> assertThat(e.code()).isEqualTo("bad_code_package"));
      c.assertAnswersWithNoCode();
      c.assertRunsTheProbe(runtime);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"provided", "python3"})
  void aZipWithParentPathsFailsLoadCodeAndWritesNothingOutsideItsDirectory(String runtime) throws Exception {
    try (Clone c = Clone.of(runtime)) {
      byte[] escaping = probePackage(runtime).file("../escape.sh", "#!/bin/sh\necho escaped\n", 0755).zip();
      assertThatThrownBy(() -> c.agent.loadCode(load(runtime), escaping, AGENT))
          .isInstanceOfSatisfying(AgentException.class, e -> {
            assertThat(e.code()).isEqualTo("bad_code_package");
            assertThat(e.getMessage()).contains("escape.sh");
          });
      c.assertAnswersWithNoCode();
      assertThat(c.assertRunsTheProbe(runtime)).endsWith(" contained");
    }
  }

  @Test
  void aBootstrapThatExitsNonZeroIsAFunctionErrorWithItsStderr() throws Exception {
    try (Clone c = Clone.of("provided")) {
      String failing = "#!/bin/sh\necho partial\necho \"cannot frobnicate $(cat)\" >&2\nexit 3\n";
      c.agent.loadCode(load("provided"), CodePackage.bootstrap(failing), AGENT);
      AgentMessages.InvokeResult r = c.invoke("inv-fail", "the-event", 10_000);
      assertThat(r.meta().status()).isEqualTo(AgentMessages.STATUS_FUNCTION_ERROR);
      assertThat(r.meta().errorType()).isEqualTo("Runtime.ExitError");
      assertThat(r.meta().exitCode()).isEqualTo(3);
      assertThat(r.meta().stderrTail()).contains("cannot frobnicate the-event");
      assertThat(text(r)).isEqualTo("partial\n");
      assertThat(c.agent.ping(AGENT).codeLoaded()).isTrue();
      // Failing is per invocation: the same code runs (and fails) again.
      assertThat(c.invoke("inv-fail-2", "again", 10_000).meta().exitCode()).isEqualTo(3);
    }
  }

  @Test
  void aPython3HandlerThatRaisesIsAFunctionErrorWithItsTraceback() throws Exception {
    try (Clone c = Clone.of("python3")) {
      String raising = "def handler(event, context):\n    print('about to fail')\n    raise ValueError('no good: ' + event)\n";
      c.agent.loadCode(load("python3"), new CodePackage().file("main.py", raising, 0644).zip(), AGENT);
      AgentMessages.InvokeResult r = c.invoke("inv-raise", "\"x\"", 10_000);
      assertThat(r.meta().status()).isEqualTo(AgentMessages.STATUS_FUNCTION_ERROR);
      assertThat(r.meta().errorType()).isEqualTo("ValueError");
      assertThat(r.meta().errorMessage()).isEqualTo("no good: x");
      assertThat(r.meta().trace()).contains("main.py").contains("raise ValueError");
      assertThat(r.meta().stderrTail()).contains("about to fail");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"provided", "python3"})
  void anInvocationOverItsTimeoutTimesOutAndTheCloneRunsTheNextOne(String runtime) throws Exception {
    try (Clone c = Clone.of(runtime)) {
      c.agent.loadCode(load(runtime), probePackage(runtime).zip(), AGENT);
      String slow = runtime.equals("python3") ? "\"slow\"" : "slow";
      long t0 = System.nanoTime();
      AgentMessages.InvokeResult r = c.invoke("inv-slow", slow, 1_500);
      long tookMs = (System.nanoTime() - t0) / 1_000_000;
      assertThat(r.meta().status()).as(describe(r)).isEqualTo(AgentMessages.STATUS_TIMEOUT);
      assertThat(r.meta().durationMs()).isBetween(1_400.0, 10_000.0);
      assertThat(tookMs).as("the RESULT came at the timeout, not after the function's minute").isLessThan(20_000);
      AgentMessages.Status st = c.agent.ping(AGENT);
      assertThat(st.busy()).isFalse();
      assertThat(st.codeLoaded()).isTrue();
      // python3 restarts its helper and re-imports the code; the next INVOKE waits for that.
      String fast = runtime.equals("python3") ? "\"fast\"" : "fast";
      long t1 = System.nanoTime();
      AgentMessages.InvokeResult next = c.invoke("inv-next", fast, 10_000);
      assertThat(next.meta().status()).as(describe(next)).isEqualTo(AgentMessages.STATUS_OK);
      assertThat(text(next)).contains("done-fast");
      LOG.info("{}: timeout reported after {} ms ({} ms in the guest); next invocation answered in {} ms", runtime, tookMs,
          r.meta().durationMs(), (System.nanoTime() - t1) / 1_000_000);
    }
  }

  @Test
  void python3ClonesShareTheTemplatesRandomStateUntilSetIdentityReseedsIt() throws Exception {
    String draw = "import os, random\n\ndef handler(event, context):\n"
        + "    return {\"random\": random.random(), \"urandom\": os.urandom(16).hex()}\n";
    List<JsonNode> before = new ArrayList<>();
    List<JsonNode> after = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      try (Clone c = Clone.withoutIdentity("python3")) {
        c.agent.loadCode(load("python3"), new CodePackage().file("main.py", draw, 0644).zip(), AGENT);
        before.add(JSON.readTree(c.invoke("before-" + i, "null", 10_000).payload()));
        c.identify();
        after.add(JSON.readTree(c.invoke("after-" + i, "null", 10_000).payload()));
      }
    }
    LOG.info("python3 clones without SET_IDENTITY: {}; with it: {}", before, after);
    assertThat(before.get(0).get("random")).as("random.random() cached in the template").isEqualTo(before.get(1).get("random"));
    assertThat(after.get(0).get("random")).isNotEqualTo(after.get(1).get("random"));
    assertThat(after.get(0).get("urandom")).isNotEqualTo(after.get(1).get("urandom"));
  }

  /** A restored clone of a runtime's template with an open agent connection; destroyed on close. */
  static final class Clone implements AutoCloseable {
    final Instance instance;
    final AgentClient agent;

    private Clone(Instance instance, AgentClient agent) {
      this.instance = instance;
      this.agent = agent;
    }

    static Clone of(String runtime) throws InterruptedException {
      Clone c = withoutIdentity(runtime);
      try {
        c.identify();
        return c;
      } catch (RuntimeException e) {
        c.close();
        throw e;
      }
    }

    static Clone withoutIdentity(String runtime) throws InterruptedException {
      Instance i = clones.restore(templates.get(runtime));
      try {
        return new Clone(i, AgentClient.connect(i.agentSocket(), AGENT));
      } catch (RuntimeException | InterruptedException e) {
        clones.destroy(i.name());
        throw e;
      }
    }

    void identify() {
      byte[] entropy = new byte[64];
      RANDOM.nextBytes(entropy);
      AgentMessages.IdentityReply id = agent.setIdentity(AgentMessages.IdentityRequest.of(instance.name(), "fn-it",
          instance.identity().mac(), System.currentTimeMillis()), entropy, AGENT);
      assertThat(id.instanceId()).isEqualTo(instance.name());
    }

    AgentMessages.InvokeResult invoke(String invocationId, String event, long timeoutMs) {
      return agent.invoke(new AgentMessages.InvokeRequest(timeoutMs, invocationId), event.getBytes(StandardCharsets.UTF_8),
          Duration.ofMillis(timeoutMs).plus(AGENT));
    }

    void assertAnswersWithNoCode() {
      AgentMessages.Status st = agent.ping(Duration.ofSeconds(10));
      assertThat(st.protocol()).isEqualTo(1);
      assertThat(st.busy()).isFalse();
      assertThat(st.codeLoaded()).as("a failed LOAD_CODE leaves no code loaded").isFalse();
      assertThatThrownBy(() -> invoke("no-code", "x", 5_000))
          .isInstanceOfSatisfying(AgentException.class, e -> assertThat(e.code()).isEqualTo("no_code"));
    }

    /** Loads the probe function and runs it: the clone is usable. Returns its output. */
    String assertRunsTheProbe(String runtime) {
      agent.loadCode(load(runtime), probePackage(runtime).zip(), AGENT);
      AgentMessages.InvokeResult r = invoke("probe", runtime.equals("python3") ? "\"ok\"" : "ok", 10_000);
      assertThat(r.meta().status()).as(describe(r)).isEqualTo(AgentMessages.STATUS_OK);
      String out = text(r).replace("\"", "");
      assertThat(out).startsWith("done-ok");
      return out;
    }

    @Override
    public void close() {
      try {
        agent.close();
      } finally {
        clones.destroy(instance.name());
      }
    }
  }

  static CodePackage probePackage(String runtime) {
    return runtime.equals("python3")
        ? new CodePackage().file("main.py", PYTHON_PROBE, 0644)
        : new CodePackage().file("bootstrap", PROVIDED_PROBE, 0755);
  }

  static AgentMessages.LoadCodeRequest load(String runtime) {
    return load(runtime, runtime.equals("python3") ? "main.handler" : null, null);
  }

  static AgentMessages.LoadCodeRequest load(String runtime, String handler, Map<String, String> env) {
    return new AgentMessages.LoadCodeRequest(runtime, handler, env, null, null, "fn-it", "1", 128);
  }

  static String text(AgentMessages.InvokeResult r) {
    return new String(r.payload(), StandardCharsets.UTF_8);
  }

  static String describe(AgentMessages.InvokeResult r) {
    AgentMessages.ResultMeta m = r.meta();
    return m.status() + " " + m.errorType() + ": " + m.errorMessage() + " stderr: " + m.stderrTail() + " trace: " + m.trace();
  }
}

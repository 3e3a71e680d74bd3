package dev.faaster.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TemplateBuilderTest {

  @TempDir Path dir;
  FakeHypervisor hv;
  VmSettings settings;
  GuestImage image;
  /** The guests' agents of {@link #answering}, closed after each test. */
  final java.util.Map<Path, FakeAgent> agents = new java.util.concurrent.ConcurrentHashMap<>();
  /** Guests whose agents answer at once. */
  final AgentProbe answering = FakeAgent.probe(agents, false);

  @org.junit.jupiter.api.AfterEach
  void closeAgents() throws Exception {
    for (FakeAgent a : agents.values()) {
      a.close();
    }
  }

  @BeforeEach
  void setUp() throws Exception {
    hv = new FakeHypervisor();
    settings = CloneFactoryTest.settings(dir);
    Path k = Files.writeString(dir.resolve("vmlinuz"), "kernel");
    Path i = Files.writeString(dir.resolve("initramfs.cpio.gz"), "initramfs");
    image = GuestImage.of("provided", k, i, GuestImage.DEFAULT_CMDLINE);
  }

  TemplateBuilder builder(AgentProbe probe) {
    return new TemplateBuilder(hv, probe, new AcceleratorDetector(hv, settings), settings);
  }

  @Test
  void buildSavesTheDeviceStateAndDestroysTheTemplateDomain() throws Exception {
    hv.stateToSend = new byte[234_567];
    TemplateImage t = builder(answering).build(image, Flavor.SMALL);

    assertThat(t.stateBytes()).isEqualTo(234_567);
    assertThat(Files.size(t.stateFile())).isEqualTo(234_567);
    assertThat(t.stateFile().getParent()).isEqualTo(settings.shmDir());
    assertThat(t.memoryFile()).isEqualTo(settings.shmDir().resolve(t.id() + ".mem"));
    assertThat(t.machine()).isEqualTo("pc-i440fx-7.2");
    assertThat(t.accelerator()).isEqualTo(Accelerator.TCG);
    assertThat(t.qemuVersion()).isEqualTo("7.2.22");
    assertThat(t.builtFrom(image)).isTrue();
    assertThat(t.id()).startsWith("faaster-t-");
    assertThat(hv.commands).containsSubsequence(
        t.id() + " migrate-set-capabilities", t.id() + " migrate", t.id() + " query-migrate");
    assertThat(hv.commands).doesNotContain(t.id() + " stop");
    assertThat(t.resumesOnLoad()).isTrue();
    assertThat(hv.domains).isEmpty();
    assertThat(hv.destroyed).containsExactly(t.id());
    assertThat(settings.runDir().resolve(t.id() + ".migrate")).doesNotExist();
  }

  @Test
  void theTemplateIsSavedWithItsHostConnectedWhichLeavesOnlyAfterTheDomainIsGone() throws Exception {
    java.util.List<AgentClient> hosts = new java.util.concurrent.CopyOnWriteArrayList<>();
    AgentProbe recording = new AgentProbe() {
      @Override
      public void awaitAnswer(Path socket, Duration timeout) throws InterruptedException {
        answering.awaitAnswer(socket, timeout);
      }

      @Override
      public AgentClient connectWhenReady(Path socket, Duration timeout) throws InterruptedException {
        AgentClient c = answering.connectWhenReady(socket, timeout);
        hosts.add(c);
        return c;
      }
    };
    java.util.List<String> atDestroy = new java.util.concurrent.CopyOnWriteArrayList<>();
    hv.onDestroy = name -> {
      try {
        hosts.get(0).ping(Duration.ofSeconds(2));
        atDestroy.add("host connected, saved: " + hv.commands.contains(name + " migrate"));
      } catch (RuntimeException e) {
        atDestroy.add("host gone: " + e.getMessage());
      }
    };

    TemplateImage t = builder(recording).build(image, Flavor.SMALL);

    assertThat(atDestroy).containsExactly("host connected, saved: true");
    FakeAgent agent = agents.values().iterator().next();
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (agent.ended.get() == 0 && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertThat(agent.accepted).as("one host connection, kept from the agent's answer to the save").hasValue(1);
    assertThat(agent.ended).as("and closed after the destroy").hasValue(1);
    assertThat(hv.destroyed).containsExactly(t.id());
  }

  @Test
  void aChangedInitramfsIsNotTheTemplatesImage() throws Exception {
    TemplateImage t = builder(answering).build(image, Flavor.SMALL);
    Files.writeString(image.initramfs(), "initramfs v2");
    GuestImage changed = GuestImage.of("provided", image.kernel(), image.initramfs(), image.cmdline());
    assertThat(t.builtFrom(changed)).isFalse();
  }

  @Test
  void agentThatNeverAnswersLeavesNoDomainAndNoFiles() {
    assertThatThrownBy(() -> builder((s, timeout) -> {
      throw new AgentException("no answer within " + timeout);
    }).build(image, Flavor.SMALL))
        .isInstanceOf(TemplateBuildException.class)
        .hasMessageContaining("no answer");
    assertThat(hv.created).hasSize(1);
    assertThat(hv.domains).isEmpty();
    assertThat(settings.shmDir()).isEmptyDirectory();
  }

  @Test
  void failedMigrationLeavesNoDomainAndNoFiles() {
    hv.outgoingMigrationStatus = "failed";
    assertThatThrownBy(() -> builder(answering).build(image, Flavor.SMALL))
        .isInstanceOf(TemplateBuildException.class)
        .hasMessageContaining("migration failed");
    assertThat(hv.domains).isEmpty();
    assertThat(settings.shmDir()).isEmptyDirectory();
  }

  @Test
  void domainThatLibvirtRefusesFailsTheBuild() {
    hv.onCreate = xml -> {
      throw new HypervisorException("create domain: unsupported configuration");
    };
    assertThatThrownBy(() -> builder(answering).build(image, Flavor.SMALL))
        .isInstanceOf(TemplateBuildException.class)
        .hasMessageContaining("unsupported configuration");
  }
}

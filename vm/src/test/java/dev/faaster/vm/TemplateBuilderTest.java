package dev.faaster.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TemplateBuilderTest {

  @TempDir Path dir;
  FakeHypervisor hv;
  VmSettings settings;
  GuestImage image;

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
    TemplateImage t = builder((s, timeout) -> { }).build(image, Flavor.SMALL);

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
  void aChangedInitramfsIsNotTheTemplatesImage() throws Exception {
    TemplateImage t = builder((s, timeout) -> { }).build(image, Flavor.SMALL);
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
    assertThatThrownBy(() -> builder((s, timeout) -> { }).build(image, Flavor.SMALL))
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
    assertThatThrownBy(() -> builder((s, timeout) -> { }).build(image, Flavor.SMALL))
        .isInstanceOf(TemplateBuildException.class)
        .hasMessageContaining("unsupported configuration");
  }
}

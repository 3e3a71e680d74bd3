package dev.faaster.vm;

import static org.assertj.core.api.Assertions.assertThat;

import io.micronaut.context.ApplicationContext;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The beans wire up from configuration alone (libvirt's test driver stands in for QEMU). */
class VmBeansTest {

  @Test
  void defaultsBindAndTheBeansShareOneHypervisor() {
    try (ApplicationContext ctx = ApplicationContext.run(Map.of("faaster.vm.uri", "test:///default"))) {
      VmSettings s = ctx.getBean(VmSettings.class);
      assertThat(s).isEqualTo(VmSettings.defaults().withUri("test:///default"));
      assertThat(s.restoreTimeout()).isEqualTo(Duration.ofSeconds(10));
      assertThat(s.shmDir()).isEqualTo(Path.of("/dev/shm/faaster"));

      Hypervisor hv = ctx.getBean(Hypervisor.class);
      assertThat(hv).isInstanceOf(LibvirtHypervisor.class);
      assertThat(hv.uri()).isEqualTo("test:///default");
      assertThat(ctx.getBean(AgentProbe.class)).isInstanceOf(AgentReadiness.class);
      assertThat(ctx.getBean(CloneFactory.class)).isNotNull();
      assertThat(ctx.getBean(TemplateBuilder.class)).isNotNull();
      assertThat(ctx.getBean(AcceleratorDetector.class)).isNotNull();
    }
  }

  @Test
  void settingsOverrideTheDefaults() {
    try (ApplicationContext ctx = ApplicationContext.run(Map.of(
        "faaster.vm.uri", "test:///default",
        "faaster.vm.pool-size", "7",
        "faaster.vm.accelerator", "tcg",
        "faaster.vm.restore-timeout", "250ms"))) {
      VmSettings s = ctx.getBean(VmSettings.class);
      assertThat(s.poolSize()).isEqualTo(7);
      assertThat(s.accelerator()).isEqualTo("tcg");
      assertThat(s.restoreTimeout()).isEqualTo(Duration.ofMillis(250));
    }
  }
}

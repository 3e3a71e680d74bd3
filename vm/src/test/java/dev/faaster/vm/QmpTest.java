package dev.faaster.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class QmpTest {

  /** QEMU 7.2's x-query-jit reply on a clone that answered its agent once (TCG), shortened. */
  private static final String JIT_REPLY = "{\"return\":{\"human-readable-text\":\"Translation buffer state:\\n"
      + "gen code size       2461107/1073736704\\nTB count            6348\\n"
      + "TB avg target size  17 max=512 bytes\\ncross page TB count 8 (0%)\\n\\nStatistics:\\n"
      + "TB flush count      0\\n[TCG profiler not compiled]\\n\"},\"id\":\"libvirt-412\"}";

  private final FakeHypervisor hv = new FakeHypervisor();
  private final String domain = "faaster-c-0123456789ab";

  @BeforeEach
  void createDomain() {
    hv.create("<domain><name>" + domain + "</name><uuid>" + UUID.randomUUID() + "</uuid></domain>");
  }

  @Test
  void translatedBlocksIsTheTbCountOfQemusJitReport() {
    hv.onQmp = c -> c[1].equals("x-query-jit") ? JIT_REPLY : null;

    assertThat(new Qmp(hv, domain).translatedBlocks()).hasValue(6348);
  }

  @Test
  void translatedBlocksIsEmptyWhenTheReportHasNoCount() {
    hv.onQmp = c -> "{\"return\":{\"human-readable-text\":\"Translation buffer state:\\n\"}}";

    assertThat(new Qmp(hv, domain).translatedBlocks()).isEmpty();
  }

  @Test
  void translatedBlocksFailsOnQemusErrorAsOtherCommandsDo() {
    hv.onQmp = c -> "{\"error\":{\"class\":\"GenericError\",\"desc\":\"JIT information is only available with accel=tcg\"}}";

    assertThatThrownBy(() -> new Qmp(hv, domain).translatedBlocks())
        .isInstanceOf(HypervisorException.class)
        .hasMessageContaining("x-query-jit")
        .hasMessageContaining("accel=tcg");
  }
}

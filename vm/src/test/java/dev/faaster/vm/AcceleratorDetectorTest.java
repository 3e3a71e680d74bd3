package dev.faaster.vm;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AcceleratorDetectorTest {

  @TempDir Path dir;
  FakeHypervisor hv;
  GuestImage image;

  @BeforeEach
  void setUp() throws Exception {
    hv = new FakeHypervisor();
    image = GuestImage.of("provided", Files.writeString(dir.resolve("k"), "k"), Files.writeString(dir.resolve("i"), "i"),
        GuestImage.DEFAULT_CMDLINE);
  }

  VmSettings settings(String accelerator, Duration probeTimeout) {
    VmSettings s = CloneFactoryTest.settings(dir).withAccelerator(accelerator, dir.resolve("cache/accel.properties"));
    return new VmSettings(s.uri(), s.runDir(), s.shmDir(), s.emulator(), s.namePrefix(), s.accelerator(),
        s.acceleratorCache(), probeTimeout, s.bootTimeout(), s.restoreTimeout(), s.saveTimeout(), s.poolSize(),
        s.network(), s.memoryMiB(), s.shareDir());
  }

  static void assumeKvmOpens() {
    Assumptions.assumeTrue(Files.isReadable(Path.of("/dev/kvm")) && Files.isWritable(Path.of("/dev/kvm")),
        "/dev/kvm can't be opened here: the probe boot isn't reached");
  }

  @Test
  void forcedSettingWinsWithoutProbing() {
    assertThat(new AcceleratorDetector(hv, settings("tcg", Duration.ofSeconds(1))).detect(image).accelerator())
        .isEqualTo(Accelerator.TCG);
    assertThat(new AcceleratorDetector(hv, settings("KVM", Duration.ofSeconds(1))).detect(image).accelerator())
        .isEqualTo(Accelerator.KVM);
    assertThat(hv.created).isEmpty();
  }

  @Test
  void aProbeThatHangsFallsBackToTcgWithinTheBoundAndLeavesNoDomain() {
    assumeKvmOpens();
    CountDownLatch never = new CountDownLatch(1);
    hv.onCreate = xml -> {
      try {
        never.await(); // libvirt/QEMU hanging in create
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    };
    long t0 = System.nanoTime();
    AcceleratorDetector.Decision d = new AcceleratorDetector(hv, settings("auto", Duration.ofMillis(500))).detect(image);
    Duration took = Duration.ofNanos(System.nanoTime() - t0);

    assertThat(d.accelerator()).isEqualTo(Accelerator.TCG);
    assertThat(took).isLessThan(Duration.ofSeconds(4));
    never.countDown();
  }

  @Test
  void aProbeGuestThatNeverPrintsFallsBackToTcgAndIsDestroyed() {
    assumeKvmOpens();
    AcceleratorDetector.Decision d = new AcceleratorDetector(hv, settings("auto", Duration.ofMillis(400))).detect(image);
    assertThat(d.accelerator()).isEqualTo(Accelerator.TCG);
    assertThat(d.reason()).contains("did not reach userspace");
    assertThat(hv.created).hasSize(1);
    assertThat(hv.domains).isEmpty();
  }

  @Test
  void aProbeGuestThatBootsChoosesKvmAndTheDecisionIsCached() throws Exception {
    assumeKvmOpens();
    Pattern console = Pattern.compile("<serial type='file'><source path='([^']+)'/>");
    FakeHypervisor booting = new FakeHypervisor();
    booting.onCreated = xml -> {
      Matcher m = console.matcher(xml);
      m.find();
      try {
        Files.writeString(Path.of(m.group(1)), "[    0.9] Run /init as init process\n");
      } catch (java.io.IOException e) {
        throw new RuntimeException(e);
      }
    };
    VmSettings s = settings("auto", Duration.ofSeconds(5));
    AcceleratorDetector.Decision first = new AcceleratorDetector(booting, s).detect(image);
    assertThat(first.accelerator()).isEqualTo(Accelerator.KVM);
    assertThat(first.cached()).isFalse();
    assertThat(booting.created.get(0)).startsWith("faaster-probe-");
    assertThat(booting.domains).isEmpty();
    assertThat(s.acceleratorCache()).exists();

    AcceleratorDetector.Decision second = new AcceleratorDetector(booting, s).detect(image);
    assertThat(second.accelerator()).isEqualTo(Accelerator.KVM);
    assertThat(second.cached()).isTrue();
    assertThat(booting.created).hasSize(1);
  }

  @Test
  void aCacheForAnotherQemuIsIgnored() throws Exception {
    VmSettings s = settings("auto", Duration.ofMillis(300));
    Files.createDirectories(s.acceleratorCache().getParent());
    Files.writeString(s.acceleratorCache(), "key=qemu\\=6.0.0;host-kernel\\=x;cpu\\=y;uri\\=fake\\:///\naccelerator=KVM\n");
    AcceleratorDetector.Decision d = new AcceleratorDetector(hv, s).detect(image);
    assertThat(d.cached()).isFalse();
    // Whatever this host decides, a stale KVM entry must not be believed without a probe.
    assertThat(Files.readString(s.acceleratorCache())).contains("qemu\\=7.2.22");
  }
}

package dev.faaster.activities.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.faaster.workflows.template.BuiltTemplate;
import dev.faaster.workflows.template.TemplateFailureTypes;
import dev.faaster.workflows.template.TemplateInputs;
import dev.faaster.workflows.template.TemplateRegistryActivities;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import io.micronaut.test.support.TestPropertyProvider;
import io.temporal.failure.ApplicationFailure;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A template's inputs digest covers the guest image's bytes: flip one byte of the kernel or the
 * initramfs, or ship a newer image of the runtime, and describeInputs gives a different
 * inputsDigest, for which the registry has no READY template, so BuildTemplateWorkflow builds
 * instead of reusing (its own tests cover that branch). A build never starts from inputs the image
 * no longer matches. No QEMU needed: the image files are only hashed, libvirt's test driver
 * answers the version, and the accelerator is forced to TCG.
 */
@MicronautTest(environments = "test")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TemplateInputsTest implements TestPropertyProvider {

  final Path work = createTempDirectory();
  final Path images = work.resolve("images");
  final String nodeId = "inputs-" + UUID.randomUUID().toString().substring(0, 8);

  @Inject LibvirtTemplateActivities activities;
  @Inject TemplateRegistryActivities registry;

  @Override
  public Map<String, String> getProperties() {
    return Map.of(
        "faaster.roles", "node",
        "faaster.node.id", nodeId,
        // No image builder on this node: the newest image under images-dir is used.
        "faaster.node.image-builder", work.resolve("no-builder.sh").toString(),
        "faaster.node.images-dir", images.toString(),
        "faaster.node.reconcile-interval", "1h",
        "faaster.vm.uri", "test:///default",
        "faaster.vm.accelerator", "tcg",
        "faaster.vm.shm-dir", work.resolve("shm").toString(),
        "faaster.vm.run-dir", work.resolve("run").toString(),
        "datasources.default.url", "jdbc:h2:mem:" + nodeId + ";MODE=MySQL;DATABASE_TO_LOWER=TRUE;DB_CLOSE_DELAY=-1");
  }

  @BeforeEach
  void freshImage() throws IOException {
    NodeStack.deleteTree(images);
    writeImage("provided-aaaaaaaaaaaaaaaa", 1, Instant.now().minusSeconds(60));
  }

  @AfterAll
  void deleteWork() {
    NodeStack.deleteTree(work);
  }

  @Test
  void theDigestIsStableWhileTheImageIsUnchanged() {
    TemplateInputs first = activities.describeInputs("provided");
    TemplateInputs second = activities.describeInputs("provided");
    assertThat(second).isEqualTo(first);
    assertThat(first.kernelPath()).isEqualTo(images.resolve("provided-aaaaaaaaaaaaaaaa/vmlinuz").toString());
    assertThat(first.accelerator()).isEqualTo("tcg");
    assertThat(first.inputsDigest()).matches("[0-9a-f]{64}");
  }

  @Test
  void aChangedInitramfsByteGivesADifferentDigest() throws IOException {
    TemplateInputs before = activities.describeInputs("provided");
    flipByte(images.resolve("provided-aaaaaaaaaaaaaaaa/initramfs.cpio.gz"), 1000);
    TemplateInputs after = activities.describeInputs("provided");

    assertThat(after.kernelDigest()).isEqualTo(before.kernelDigest());
    assertThat(after.initramfsDigest()).isNotEqualTo(before.initramfsDigest());
    assertThat(after.inputsDigest()).isNotEqualTo(before.inputsDigest());
  }

  @Test
  void aChangedKernelByteGivesADifferentDigest() throws IOException {
    TemplateInputs before = activities.describeInputs("provided");
    flipByte(images.resolve("provided-aaaaaaaaaaaaaaaa/vmlinuz"), 0);
    TemplateInputs after = activities.describeInputs("provided");

    assertThat(after.kernelDigest()).isNotEqualTo(before.kernelDigest());
    assertThat(after.initramfsDigest()).isEqualTo(before.initramfsDigest());
    assertThat(after.inputsDigest()).isNotEqualTo(before.inputsDigest());
  }

  @Test
  void aNewerImageOfTheRuntimeIsUsedAndGivesADifferentDigest() throws IOException {
    TemplateInputs before = activities.describeInputs("provided");
    writeImage("python3-cccccccccccccccc", 3, Instant.now()); // another runtime's image is no candidate
    assertThat(activities.describeInputs("provided")).isEqualTo(before);

    writeImage("provided-bbbbbbbbbbbbbbbb", 2, Instant.now());
    TemplateInputs after = activities.describeInputs("provided");
    assertThat(after.kernelPath()).isEqualTo(images.resolve("provided-bbbbbbbbbbbbbbbb/vmlinuz").toString());
    assertThat(after.inputsDigest()).isNotEqualTo(before.inputsDigest());
  }

  @Test
  void theRegistryHasNoReadyTemplateForChangedInputsSoTheWorkflowRebuilds() throws IOException {
    TemplateInputs built = activities.describeInputs("provided");
    String templateId = UUID.randomUUID().toString();
    registry.recordTemplate(nodeId, templateId, built, new BuiltTemplate("/dev/shm/x.mem", "/dev/shm/x.state", 300_000, 9_000, 40));
    assertThat(registry.findReady(nodeId, "provided", built.inputsDigest()).templateId()).isEqualTo(templateId);

    flipByte(images.resolve("provided-aaaaaaaaaaaaaaaa/initramfs.cpio.gz"), 7);
    TemplateInputs changed = activities.describeInputs("provided");
    assertThat(registry.findReady(nodeId, "provided", changed.inputsDigest())).isNull();
  }

  @Test
  void bootAndSnapshotRefusesInputsTheImageNoLongerMatches() throws IOException {
    TemplateInputs stale = activities.describeInputs("provided");
    flipByte(images.resolve("provided-aaaaaaaaaaaaaaaa/initramfs.cpio.gz"), 42);

    assertThatThrownBy(() -> activities.bootAndSnapshot(UUID.randomUUID().toString(), stale))
        .isInstanceOfSatisfying(ApplicationFailure.class, f -> {
          assertThat(f.getType()).isEqualTo(TemplateFailureTypes.IMAGE_MISSING);
          assertThat(f.isNonRetryable()).isTrue();
          assertThat(f.getOriginalMessage()).contains("changed since its inputs were read");
        });
  }

  /** An image directory as build-image.sh lays it out; its bytes depend on {@code seed}. */
  private void writeImage(String name, long seed, Instant builtAt) throws IOException {
    Path dir = Files.createDirectories(images.resolve(name));
    Random bytes = new Random(seed);
    byte[] kernel = new byte[64 * 1024];
    bytes.nextBytes(kernel);
    byte[] initramfs = new byte[32 * 1024];
    bytes.nextBytes(initramfs);
    Files.write(dir.resolve("vmlinuz"), kernel);
    Files.write(dir.resolve("initramfs.cpio.gz"), initramfs);
    String runtime = name.substring(0, name.lastIndexOf('-'));
    Path manifest = Files.writeString(dir.resolve("manifest.json"),
        "{\"runtime\":\"" + runtime + "\",\"cmdline\":\"console=ttyS0 quiet panic=-1\"}");
    Files.setLastModifiedTime(manifest, FileTime.from(builtAt));
  }

  private static void flipByte(Path file, int offset) throws IOException {
    byte[] b = Files.readAllBytes(file);
    b[offset] ^= 0x01;
    Files.write(file, b);
  }

  private static Path createTempDirectory() {
    try {
      return Files.createTempDirectory("template-inputs");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}

package dev.faaster.activities.vm;

import dev.faaster.packagestore.Sha256;
import dev.faaster.vm.AcceleratorDetector;
import dev.faaster.vm.GuestImage;
import dev.faaster.vm.Hypervisor;
import dev.faaster.vm.CloneFactory;
import dev.faaster.vm.TemplateBuilder;
import dev.faaster.vm.TemplateImage;
import dev.faaster.vm.VmSettings;
import dev.faaster.workflows.template.BuiltTemplate;
import dev.faaster.workflows.template.TemplateFailureTypes;
import dev.faaster.workflows.template.TemplateInputs;
import dev.faaster.workflows.template.TemplateNodeActivities;
import io.micronaut.context.annotation.Requires;
import io.temporal.failure.ApplicationFailure;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Template steps on this node's libvirt: find the guest image, boot and snapshot, delete. */
@Singleton
@Requires(property = "faaster.roles", pattern = NodeRole.PATTERN)
public class LibvirtTemplateActivities implements TemplateNodeActivities {

  private static final Logger log = LoggerFactory.getLogger(LibvirtTemplateActivities.class);
  static final Set<String> RUNTIMES = Set.of("provided", "python3");

  private final NodeConfiguration node;
  private final VmSettings settings;
  private final Hypervisor hypervisor;
  private final AcceleratorDetector accelerators;
  private final TemplateBuilder builder;
  private final CloneFactory clones;
  private final NodeTemplates templates;
  private final TemplateBuildsInProgress builds;

  public LibvirtTemplateActivities(
      NodeConfiguration node,
      VmSettings settings,
      Hypervisor hypervisor,
      AcceleratorDetector accelerators,
      TemplateBuilder builder,
      CloneFactory clones,
      NodeTemplates templates,
      TemplateBuildsInProgress builds) {
    this.builds = builds;
    this.node = node;
    this.settings = settings;
    this.hypervisor = hypervisor;
    this.accelerators = accelerators;
    this.builder = builder;
    this.clones = clones;
    this.templates = templates;
  }

  @Override
  public TemplateInputs describeInputs(String runtime) {
    if (!RUNTIMES.contains(runtime)) {
      throw ApplicationFailure.newNonRetryableFailure("unknown runtime " + runtime, TemplateFailureTypes.UNKNOWN_RUNTIME);
    }
    Path directory = Heartbeats.whileRunning("guest image of " + runtime, () -> imageDirectory(runtime));
    GuestImage image = GuestImage.fromDirectory(directory);
    var accelerator = Heartbeats.whileRunning("accelerator probe", () -> accelerators.detect(image).accelerator());
    String qemu = hypervisor.version();
    int memory = settings.memoryMiB();
    String machine = "pc";
    String digest =
        Sha256.hex(
            String.join("|", runtime, image.kernelSha256(), image.initramfsSha256(), qemu, machine, accelerator.name(),
                    String.valueOf(memory), image.cmdline(),
                    // A code share is a device: templates with and without one don't restore into each other.
                    settings.shareDir() == null ? "no-code-share" : "code-share")
                .getBytes(StandardCharsets.UTF_8));
    return new TemplateInputs(
        runtime, image.kernel().toString(), image.initramfs().toString(), image.kernelSha256(), image.initramfsSha256(), qemu,
        machine, accelerator.name().toLowerCase(), memory, digest);
  }

  /**
   * The image for the runtime's current inputs: the node's image builder finds or builds it (it is
   * cached by input digest, so this is quick when nothing changed). Without a builder (an image
   * shipped to the node), the newest image of the runtime.
   */
  private Path imageDirectory(String runtime) throws IOException, InterruptedException {
    if (Files.isRegularFile(node.imageBuilder())) {
      Process process =
          new ProcessBuilder("bash", node.imageBuilder().toString(), runtime)
              .redirectError(ProcessBuilder.Redirect.INHERIT)
              .start();
      String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (process.waitFor() != 0 || out.isEmpty()) {
        throw new IllegalStateException("the image builder failed for " + runtime + " (exit " + process.exitValue() + ")");
      }
      List<String> lines = out.lines().toList();
      return Path.of(lines.get(lines.size() - 1).trim());
    }
    try (Stream<Path> dirs = Files.list(node.imagesDir())) {
      Optional<Path> newest =
          dirs.filter(d -> d.getFileName().toString().startsWith(runtime + "-") && Files.isRegularFile(d.resolve("manifest.json")))
              .max(Comparator.comparing(d -> d.resolve("manifest.json").toFile().lastModified()));
      return newest.orElseThrow(
          () -> ApplicationFailure.newNonRetryableFailure(
              "no guest image of " + runtime + " in " + node.imagesDir() + "; build one with infra/guest/build-image.sh",
              TemplateFailureTypes.IMAGE_MISSING));
    } catch (java.nio.file.NoSuchFileException e) {
      throw ApplicationFailure.newNonRetryableFailure(
          "no guest image directory " + node.imagesDir(), TemplateFailureTypes.IMAGE_MISSING);
    }
  }

  @Override
  public BuiltTemplate bootAndSnapshot(String templateId, TemplateInputs inputs) {
    Optional<TemplateImage> existing = templates.get(templateId);
    if (existing.isPresent()) {
      return built(existing.get());
    }
    GuestImage image = GuestImage.fromDirectory(Path.of(inputs.kernelPath()).getParent());
    if (!image.kernelSha256().equals(inputs.kernelDigest()) || !image.initramfsSha256().equals(inputs.initramfsDigest())) {
      throw ApplicationFailure.newNonRetryableFailure(
          "the guest image of " + inputs.runtime() + " changed since its inputs were read; build again",
          TemplateFailureTypes.IMAGE_MISSING);
    }
    TemplateImage template;
    try (TemplateBuildsInProgress.Running ignored = builds.start()) {
      template =
          Heartbeats.whileRunning("template " + templateId + " of " + inputs.runtime(), () -> builder.build(image, settings.flavor()));
    }
    templates.register(templateId, template);
    clones.fillInBackground(template);
    log.info("template {} of {}: boot {} ms, save {} ms, state {} KiB", templateId, inputs.runtime(),
        template.bootToAgent().toMillis(), template.save().toMillis(), template.stateBytes() / 1024);
    return built(template);
  }

  private static BuiltTemplate built(TemplateImage t) {
    return new BuiltTemplate(t.memoryFile().toString(), t.stateFile().toString(), t.stateBytes(), t.bootToAgent().toMillis(),
        t.save().toMillis());
  }

  @Override
  public void deleteTemplate(String templateId) {
    Optional<TemplateImage> template = templates.remove(templateId);
    if (template.isEmpty()) {
      log.info("template {} not on this node; nothing to delete", templateId);
      return;
    }
    clones.discard(template.get());
    builder.delete(template.get());
    log.info("deleted template {}", templateId);
  }

  @Override
  public boolean holdsTemplate(String templateId) {
    return templates.get(templateId).isPresent();
  }

}

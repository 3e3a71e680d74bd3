package dev.faaster.vm;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A template built from the project's guest image on real QEMU through libvirtd, and 5 clones
 * restored from it at once: distinct names, UUIDs and MACs, each answering its agent, all destroyed
 * afterwards. Needs libvirtd on qemu:///system (infra/scripts/libvirt-host.sh start) and an image
 * under .data/images (infra/guest/build-image.sh provided), or FAASTER_TEST_IMAGE naming one.
 * Skipped with the reason when either is missing, except that FAASTER_TEST_REQUIRE_STACK=true
 * turns an unreachable libvirtd into a failure.
 */
@ExtendWith(TemplateCloneIT.StackAvailable.class)
class TemplateCloneIT {

  private static final Logger LOG = LoggerFactory.getLogger(TemplateCloneIT.class);
  static final String URI = System.getenv().getOrDefault("FAASTER_TEST_LIBVIRT_URI", "qemu:///system");
  static final int CLONES = 5;

  static LibvirtHypervisor hv;
  static VmSettings settings;
  static TemplateImage template;
  static CloneFactory clones;
  static TemplateBuilder builder;

  @BeforeAll
  static void buildTemplate() {
    hv = LibvirtHypervisor.connect(URI);
    VmSettings d = VmSettings.defaults();
    settings = new VmSettings(URI, Path.of("/run/faaster/vm-it"), Path.of("/dev/shm/faaster-it"), d.emulator(),
        "faaster-it-", System.getenv().getOrDefault("FAASTER_TEST_ACCELERATOR", "auto"), d.acceleratorCache(),
        d.probeTimeout(), Duration.ofSeconds(240), Duration.ofSeconds(60), Duration.ofSeconds(30), 0, false, 128, null);
    cleanUp();
    GuestImage image = GuestImage.fromDirectory(StackAvailable.image().orElseThrow());
    AgentReadiness agent = new AgentReadiness();
    builder = new TemplateBuilder(hv, agent, new AcceleratorDetector(hv, settings), settings);
    template = builder.build(image, settings.flavor());
    LOG.info("template {} ({}, {}, {}): booted to agent in {} ms, saved {} KiB in {} ms", template.id(),
        template.runtime(), template.accelerator(), template.machine(), template.bootToAgent().toMillis(),
        template.stateBytes() / 1024, template.save().toMillis());
    clones = new CloneFactory(hv, agent, settings);
  }

  @AfterAll
  static void tearDown() {
    if (clones != null) {
      clones.close();
    }
    cleanUp();
    if (template != null) {
      builder.delete(template);
    }
    if (hv != null) {
      hv.close();
    }
  }

  static void cleanUp() {
    if (hv == null) {
      return;
    }
    for (DomainRef d : hv.list(settings.namePrefix())) {
      LOG.warn("destroying leftover domain {}", d.name());
      hv.destroy(d.name());
    }
  }

  @Test
  void fiveConcurrentClonesHaveDistinctIdentitiesAndAnswerTheirAgents() throws Exception {
    long p0 = System.nanoTime();
    clones.prewarm(template, CLONES);
    LOG.info("pre-created {} clones in {} ms (off the cold path)", CLONES, (System.nanoTime() - p0) / 1_000_000);

    ExecutorService ex = Executors.newFixedThreadPool(CLONES);
    List<Future<Instance>> futures = new ArrayList<>();
    for (int i = 0; i < CLONES; i++) {
      futures.add(ex.submit(() -> clones.restore(template)));
    }
    List<Instance> instances = new ArrayList<>();
    for (Future<Instance> f : futures) {
      instances.add(f.get());
    }
    ex.shutdown();

    assertThat(instances).extracting(i -> i.identity().name()).doesNotHaveDuplicates();
    assertThat(instances).extracting(i -> i.identity().uuid()).doesNotHaveDuplicates();
    assertThat(instances).extracting(i -> i.identity().mac()).doesNotHaveDuplicates();
    assertThat(hv.list(settings.clonePrefix())).hasSize(CLONES);

    for (Instance i : instances) {
      try (AgentClient c = AgentClient.connect(i.agentSocket(), Duration.ofSeconds(10))) {
        AgentMessages.Status st = c.ping(Duration.ofSeconds(10));
        assertThat(st.protocol()).isEqualTo(1);
        assertThat(st.runtime()).isEqualTo(template.runtime());
        AgentMessages.IdentityReply id = c.setIdentity(AgentMessages.IdentityRequest.of(i.name(), i.name(),
            i.identity().mac(), System.currentTimeMillis()), Duration.ofSeconds(20));
        assertThat(id.instanceId()).isEqualTo(i.name());
        assertThat(c.ping(Duration.ofSeconds(10)).instanceId()).isEqualTo(i.name());
      }
      Instance.Timings t = i.timings();
      LOG.info("{} uuid {} mac {}: pre-created in {} ms; restore: loaded {} ms, resumed {} ms, agent answered {} ms;"
          + " PSS {} KiB", i.name(), i.identity().uuid(), i.identity().mac(), t.processStart().toMillis(),
          t.loaded().toMillis(), t.resumed().toMillis(), t.agentAnswered().toMillis(),
          i.pssKiB().isPresent() ? i.pssKiB().getAsLong() : -1);
      assertThat(t.pooled()).isTrue();
    }
    long totalPss = instances.stream().mapToLong(i -> i.pssKiB().orElse(0)).sum();
    LOG.info("{} clones of one {} MiB template: {} KiB PSS in total, {} KiB each on average", CLONES,
        template.memoryMiB(), totalPss, totalPss / CLONES);

    ExecutorService dx = Executors.newFixedThreadPool(CLONES);
    List<Future<Boolean>> destroyed = new ArrayList<>();
    for (Instance i : instances) {
      destroyed.add(dx.submit(() -> clones.destroy(i.name())));
    }
    for (Future<Boolean> f : destroyed) {
      assertThat(f.get()).isTrue();
    }
    dx.shutdown();
    assertThat(hv.list(settings.namePrefix())).isEmpty();
  }

  /** Skips without libvirtd or without an image; fails without libvirtd when the stack is required. */
  static final class StackAvailable implements ExecutionCondition {

    static Optional<Path> image() {
      String named = System.getenv("FAASTER_TEST_IMAGE");
      if (named != null && !named.isBlank()) {
        return Optional.of(Path.of(named));
      }
      for (Path root : new Path[] {Path.of("..", ".data", "images"), Path.of(".data", "images")}) {
        if (!Files.isDirectory(root)) {
          continue;
        }
        try (Stream<Path> dirs = Files.list(root)) {
          Optional<Path> newest = dirs
              .filter(p -> Files.isRegularFile(p.resolve("vmlinuz")) && Files.isRegularFile(p.resolve("initramfs.cpio.gz")))
              .max(Comparator.comparing((Path p) -> p.getFileName().toString().startsWith("provided-"))
                  .thenComparing(p -> p.resolve("initramfs.cpio.gz").toFile().lastModified()));
          if (newest.isPresent()) {
            return Optional.of(newest.get().toAbsolutePath().normalize());
          }
        } catch (IOException e) {
          // look elsewhere
        }
      }
      return Optional.empty();
    }

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
      try (LibvirtHypervisor probe = LibvirtHypervisor.connect(URI)) {
        probe.version();
      } catch (HypervisorException e) {
        String why = "libvirtd not reachable at " + URI + " (" + e.getMessage() + ")";
        if (Boolean.parseBoolean(System.getenv("FAASTER_TEST_REQUIRE_STACK"))) {
          throw new IllegalStateException(why + ", and FAASTER_TEST_REQUIRE_STACK=true requires it");
        }
        return ConditionEvaluationResult.disabled(why + "; skipped (start it: infra/scripts/libvirt-host.sh start)");
      }
      Optional<Path> image = image();
      if (image.isEmpty()) {
        return ConditionEvaluationResult.disabled("no guest image under .data/images and FAASTER_TEST_IMAGE unset;"
            + " skipped (build one: infra/guest/build-image.sh provided)");
      }
      return ConditionEvaluationResult.enabled("libvirtd at " + URI + ", image " + image.get());
    }
  }
}

package dev.faaster.vm;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the QEMU ITs share: the condition that runs them only with libvirtd on qemu:///system and a
 * guest image of every runtime named by {@link Images} (skipped with the reason otherwise; a
 * failure instead when FAASTER_TEST_REQUIRE_STACK=true, as under {@code ./faaster test}), and the
 * settings that keep each test class's domains and files apart from everyone else's: a random name
 * prefix, its own run and shm directories.
 */
final class QemuStack implements ExecutionCondition {

  private static final Logger LOG = LoggerFactory.getLogger(QemuStack.class);
  static final String URI = System.getenv().getOrDefault("FAASTER_TEST_LIBVIRT_URI", "qemu:///system");
  private static final SecureRandom RANDOM = new SecureRandom();

  /** Runtimes whose guest image the test class needs. */
  @Retention(RetentionPolicy.RUNTIME)
  @Target(ElementType.TYPE)
  @interface Images {
    String[] value();
  }

  /**
   * The newest guest image of {@code runtime}: {@code FAASTER_TEST_IMAGE_<RUNTIME>} when set, else
   * the most recently built {@code <runtime>-<digest>} directory under .data/images (from the
   * module directory or the repository root).
   */
  static Optional<Path> image(String runtime) {
    String named = System.getenv("FAASTER_TEST_IMAGE_" + runtime.toUpperCase(Locale.ROOT));
    if (named != null && !named.isBlank()) {
      return Optional.of(Path.of(named)).filter(QemuStack::isImage);
    }
    for (Path root : new Path[] {Path.of("..", ".data", "images"), Path.of(".data", "images")}) {
      if (!Files.isDirectory(root)) {
        continue;
      }
      try (Stream<Path> dirs = Files.list(root)) {
        Optional<Path> newest = dirs
            .filter(p -> p.getFileName().toString().startsWith(runtime + "-"))
            .filter(QemuStack::isImage)
            .max(Comparator.comparing((Path p) -> p.resolve("initramfs.cpio.gz").toFile().lastModified()));
        if (newest.isPresent()) {
          return Optional.of(newest.get().toAbsolutePath().normalize());
        }
      } catch (IOException e) {
        // look elsewhere
      }
    }
    return Optional.empty();
  }

  private static boolean isImage(Path dir) {
    return Files.isRegularFile(dir.resolve("vmlinuz")) && Files.isRegularFile(dir.resolve("initramfs.cpio.gz"));
  }

  /** A name prefix no other test run or benchmark uses: {@code faaster-it-<6 hex>-}. */
  static String uniquePrefix() {
    byte[] b = new byte[3];
    RANDOM.nextBytes(b);
    return "faaster-it-" + HexFormat.of().formatHex(b) + "-";
  }

  /**
   * Settings for domains named {@code prefix...}: their own run and shm directories, generous
   * timeouts (TCG on two cores shared with other work), no background pool refill.
   */
  static VmSettings settings(String prefix) {
    VmSettings d = VmSettings.defaults();
    String dir = prefix.substring(0, prefix.length() - 1);
    return new VmSettings(URI, Path.of("/tmp", dir), Path.of("/dev/shm", dir), d.emulator(), prefix,
        System.getenv().getOrDefault("FAASTER_TEST_ACCELERATOR", "auto"), d.acceleratorCache(), d.probeTimeout(),
        Duration.ofSeconds(240), Duration.ofSeconds(90), Duration.ofSeconds(60), 0, false, 128,
        Path.of("/tmp", dir, "shares")); // every IT's templates and clones carry the code share device
  }

  /** Destroys every domain named {@code settings.namePrefix()...} and deletes its directories. */
  static void cleanUp(Hypervisor hv, VmSettings settings) {
    if (hv != null) {
      for (DomainRef d : hv.list(settings.namePrefix())) {
        LOG.warn("destroying leftover domain {}", d.name());
        hv.destroy(d.name());
      }
    }
    deleteTree(settings.runDir());
    deleteTree(settings.shmDir());
  }

  static void deleteTree(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      List<Path> paths = new ArrayList<>(walk.toList());
      paths.sort(Comparator.reverseOrder());
      for (Path p : paths) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + dir, e);
    }
  }

  @Override
  public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
    boolean required = Boolean.parseBoolean(System.getenv("FAASTER_TEST_REQUIRE_STACK"));
    try (LibvirtHypervisor probe = LibvirtHypervisor.connect(URI)) {
      probe.version();
    } catch (HypervisorException e) {
      return missing(required, "libvirtd not reachable at " + URI + " (" + e.getMessage() + ")",
          "start it: infra/scripts/libvirt-host.sh start");
    }
    String[] runtimes = context.getTestClass()
        .map(c -> c.getAnnotation(Images.class))
        .map(Images::value)
        .orElse(new String[] {"provided"});
    List<String> found = new ArrayList<>();
    for (String runtime : runtimes) {
      Optional<Path> image = image(runtime);
      if (image.isEmpty()) {
        return missing(required, "no " + runtime + " guest image (FAASTER_TEST_IMAGE_" + runtime.toUpperCase(Locale.ROOT)
            + " or the newest .data/images/" + runtime + "-*)", "build one: infra/guest/build-image.sh " + runtime);
      }
      found.add(image.get().toString());
    }
    return ConditionEvaluationResult.enabled("libvirtd at " + URI + ", images " + found);
  }

  private static ConditionEvaluationResult missing(boolean required, String why, String fix) {
    if (required) {
      throw new IllegalStateException(why + ", and FAASTER_TEST_REQUIRE_STACK=true requires it (" + fix + ")");
    }
    return ConditionEvaluationResult.disabled(why + "; skipped (" + fix + ")");
  }
}

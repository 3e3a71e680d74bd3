package dev.faaster.activities.vm;

import dev.faaster.vm.DomainRef;
import dev.faaster.vm.Hypervisor;
import dev.faaster.vm.HypervisorException;
import dev.faaster.vm.LibvirtHypervisor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * What the node ITs need: libvirtd on qemu:///system and the repository's image builder (the
 * activities find or build the guest image with it). Skipped with the reason without them; a
 * failure instead when FAASTER_TEST_REQUIRE_STACK=true. Also where this test run's domains and
 * files go: a random name prefix and directories of its own, apart from other runs and benchmarks.
 */
public final class NodeStack implements ExecutionCondition {

  static final String URI = System.getenv().getOrDefault("FAASTER_TEST_LIBVIRT_URI", "qemu:///system");
  private static final SecureRandom RANDOM = new SecureRandom();

  /** The repository root: the first directory upwards from the working directory with the image builder. */
  static Path repositoryRoot() {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.isRegularFile(p.resolve("infra/guest/build-image.sh"))) {
        return p;
      }
    }
    throw new IllegalStateException("no infra/guest/build-image.sh above " + Path.of("").toAbsolutePath());
  }

  /** {@code faaster-it-<6 hex>-}: no other run's prefix, and under the platform's {@code faaster-}. */
  static String uniquePrefix() {
    byte[] b = new byte[3];
    RANDOM.nextBytes(b);
    return "faaster-it-" + HexFormat.of().formatHex(b) + "-";
  }

  /** Destroys the domains named {@code prefix...} and deletes {@code dirs}. */
  static void cleanUp(Hypervisor hv, String prefix, Path... dirs) {
    if (hv != null) {
      for (DomainRef d : hv.list(prefix)) {
        hv.destroy(d.name());
      }
    }
    for (Path dir : dirs) {
      deleteTree(dir);
    }
  }

  static void deleteTree(Path dir) {
    if (dir == null || !Files.exists(dir)) {
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
    try {
      return ConditionEvaluationResult.enabled("libvirtd at " + URI + ", image builder in " + repositoryRoot());
    } catch (IllegalStateException e) {
      return missing(required, e.getMessage(), "run the tests inside the repository");
    }
  }

  private static ConditionEvaluationResult missing(boolean required, String why, String fix) {
    if (required) {
      throw new IllegalStateException(why + ", and FAASTER_TEST_REQUIRE_STACK=true requires it (" + fix + ")");
    }
    return ConditionEvaluationResult.disabled(why + "; skipped (" + fix + ")");
  }
}

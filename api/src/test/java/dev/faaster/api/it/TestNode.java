package dev.faaster.api.it;

import dev.faaster.registry.TemplateRecord;
import dev.faaster.registry.TemplateRepository;
import dev.faaster.vm.DomainRef;
import dev.faaster.vm.HypervisorException;
import dev.faaster.vm.LibvirtHypervisor;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream;
import org.junit.jupiter.api.Assumptions;

/**
 * A node for the invocation ITs: libvirt on qemu:///system (aborts the class without it, fails it
 * when FAASTER_TEST_REQUIRE_STACK=true), a node id, a domain name prefix and directories of this run
 * only, the node's settings, and what a test needs around it (templates ready, code packages).
 */
final class TestNode implements AutoCloseable {

  static final String LIBVIRT_URI = System.getenv().getOrDefault("FAASTER_TEST_LIBVIRT_URI", "qemu:///system");
  /** Templates are built when the node starts: a boot under TCG on a busy 2-core host. */
  static final Duration TEMPLATES_READY = Duration.ofMinutes(6);

  final String id;
  final String namePrefix;
  final LibvirtHypervisor hypervisor;
  private final Path runDir;
  private final Path shmDir;

  private TestNode(String hex, LibvirtHypervisor hypervisor) {
    this.id = "it-" + hex;
    // The platform's own: faaster-<node id>-, so the node's reconciler owns exactly these.
    this.namePrefix = "faaster-" + id + "-";
    this.hypervisor = hypervisor;
    // Unix socket paths must stay under 108 bytes: a short directory, not target/it/...
    this.runDir = Path.of("/tmp/fit-" + hex);
    this.shmDir = Path.of("/dev/shm/faaster-it-" + hex);
  }

  static TestNode create() {
    LibvirtHypervisor hv;
    try {
      hv = LibvirtHypervisor.connect(LIBVIRT_URI);
      hv.version();
    } catch (HypervisorException e) {
      if (Boolean.parseBoolean(System.getenv(StackRequired.REQUIRE_STACK))) {
        throw new IllegalStateException("libvirtd not reachable at " + LIBVIRT_URI + " and "
            + StackRequired.REQUIRE_STACK + "=true requires it (infra/scripts/libvirt-host.sh start)", e);
      }
      Assumptions.abort("libvirtd not reachable at " + LIBVIRT_URI + ": " + e.getMessage());
      throw e;
    }
    byte[] random = new byte[3];
    new SecureRandom().nextBytes(random);
    return new TestNode(HexFormat.of().formatHex(random), hv);
  }

  /** The node's settings as properties (for an in-process node, or -D for a worker process). */
  Map<String, String> settings(int poolSize) {
    Path repository = repositoryRoot();
    Map<String, String> p = new LinkedHashMap<>();
    p.put("faaster.node.id", id);
    p.put("faaster.node.runtimes", "provided,python3");
    p.put("faaster.node.image-builder", repository.resolve("infra/guest/build-image.sh").toString());
    p.put("faaster.node.images-dir", repository.resolve(".data/images").toString());
    p.put("faaster.vm.uri", LIBVIRT_URI);
    p.put("faaster.vm.run-dir", runDir.toString());
    p.put("faaster.vm.shm-dir", shmDir.toString());
    p.put("faaster.vm.pool-size", String.valueOf(poolSize));
    p.put("faaster.vm.boot-timeout", "240s");
    p.put("faaster.vm.restore-timeout", "60s");
    return p;
  }

  void awaitTemplates(Platform platform) {
    TemplateRepository templates = platform.bean(TemplateRepository.class);
    List<String> runtimes = List.of("provided", "python3");
    Poll.until("templates of " + runtimes + " ready on " + id, TEMPLATES_READY,
        () -> runtimes.stream()
                .allMatch(r -> !templates.findByNodeIdAndRuntimeAndStatus(id, r, TemplateRecord.READY).isEmpty())
            ? Optional.of(true)
            : Optional.empty());
  }

  List<String> domainNames() {
    return hypervisor.list(namePrefix).stream().map(DomainRef::name).toList();
  }

  @Override
  public void close() {
    for (DomainRef d : hypervisor.list(namePrefix)) {
      hypervisor.destroy(d.name());
    }
    hypervisor.close();
    deleteQuietly(runDir);
    deleteQuietly(shmDir);
  }

  static byte[] pythonPackage(String mainPy) {
    return zip("main.py", mainPy, 0644);
  }

  static byte[] executablePackage(String name, String content) {
    return zip(name, content, 0755);
  }

  /** With Unix modes (java.util.zip can't write them): a bootstrap must arrive executable. */
  private static byte[] zip(String name, String content, int mode) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ZipArchiveOutputStream zip = new ZipArchiveOutputStream(bytes)) {
      ZipArchiveEntry entry = new ZipArchiveEntry(name);
      entry.setUnixMode(0100000 | mode);
      zip.putArchiveEntry(entry);
      zip.write(content.getBytes(StandardCharsets.UTF_8));
      zip.closeArchiveEntry();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  private static Path repositoryRoot() {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.isRegularFile(p.resolve("infra/guest/build-image.sh"))) {
        return p;
      }
    }
    throw new IllegalStateException("no infra/guest/build-image.sh above " + Path.of("").toAbsolutePath());
  }

  private static void deleteQuietly(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (var walk = Files.walk(dir)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // best effort: every run uses directories of its own
    }
  }
}

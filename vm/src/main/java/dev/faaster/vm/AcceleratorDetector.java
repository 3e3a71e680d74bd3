package dev.faaster.vm;

import io.micronaut.core.annotation.Nullable;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides KVM or TCG for this host. /dev/kvm opening is not enough: on nested hosts QEMU with KVM
 * aborts on an MSR or hangs right after the kernel decompressor. So KVM is chosen only when a
 * probe boot with it reaches userspace (the kernel's {@code Run /init as init process} line on the
 * serial console) within {@code faaster.vm.probe-timeout}; otherwise TCG. The caller waits at most
 * about that bound, even when libvirt or QEMU hang. The decision is cached in a file keyed by QEMU
 * version, host kernel and CPU model, so one host probes once.
 */
@Singleton
public final class AcceleratorDetector {

  private static final Logger LOG = LoggerFactory.getLogger(AcceleratorDetector.class);
  /** Printed by the kernel when it hands over to the initramfs: the guest kernel fully booted. */
  static final String USERSPACE_MARKER = "Run /init as init process";
  private static final Path KVM = Path.of("/dev/kvm");

  private final Hypervisor hypervisor;
  private final VmSettings settings;

  public AcceleratorDetector(Hypervisor hypervisor, VmSettings settings) {
    this.hypervisor = hypervisor;
    this.settings = settings;
  }

  /**
   * The decision.
   *
   * @param accelerator what to run guests with
   * @param reason why, for logs and the template record
   * @param cached whether it came from the cache file
   * @param took how long deciding took
   */
  public record Decision(Accelerator accelerator, String reason, boolean cached, Duration took) {}

  /**
   * Decides, probing with {@code probeImage} if the cache has no decision for this host.
   *
   * @param probeImage a bootable kernel and initramfs (any; the template's own is fine)
   */
  public synchronized Decision detect(@Nullable GuestImage probeImage) {
    long t0 = System.nanoTime();
    String forced = settings.accelerator().trim().toLowerCase(Locale.ROOT);
    if (forced.equals("kvm") || forced.equals("tcg")) {
      return new Decision(Accelerator.valueOf(forced.toUpperCase(Locale.ROOT)),
          "forced by faaster.vm.accelerator=" + forced, false, since(t0));
    }
    String key = hostKey();
    Decision cached = readCache(key, t0);
    if (cached != null) {
      return cached;
    }
    Decision d = probe(probeImage, t0);
    writeCache(key, d);
    LOG.info("accelerator: {} ({}) after {} ms", d.accelerator(), d.reason(), d.took().toMillis());
    return d;
  }

  private Decision probe(@Nullable GuestImage image, long t0) {
    try (RandomAccessFile f = new RandomAccessFile(KVM.toFile(), "rw")) {
      // opens: KVM is at least present
    } catch (IOException e) {
      return new Decision(Accelerator.TCG, "cannot open /dev/kvm: " + e.getMessage(), false, since(t0));
    }
    if (image == null) {
      return new Decision(Accelerator.TCG, "/dev/kvm opens but there is no image to probe-boot", false, since(t0));
    }
    VmIdentity id = VmIdentity.random(settings.probePrefix());
    Path memory = settings.shmDir().resolve(id.name() + ".mem");
    DomainPaths paths = DomainPaths.of(settings.runDir(), id.name());
    VmDefinition def = new VmDefinition(Accelerator.KVM, Flavor.SMALL, VmDefinition.DEFAULT_MACHINE, settings.emulator(),
        image.kernel(), image.initramfs(), "console=ttyS0 panic=-1", memory, false);
    Duration bound = settings.probeTimeout();
    CompletableFuture<Decision> boot = CompletableFuture.supplyAsync(() -> bootAndWatch(def, id, paths, t0, bound),
        r -> {
          Thread t = new Thread(r, "faaster-kvm-probe");
          t.setDaemon(true);
          t.start();
        });
    try {
      // A little slack over the bound for the create call itself; the watcher stops at the bound.
      return boot.get(bound.toMillis() + 2_000, TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      boot.cancel(true);
      return new Decision(Accelerator.TCG, "KVM probe did not finish within " + bound, false, since(t0));
    } catch (ExecutionException e) {
      return new Decision(Accelerator.TCG, "KVM probe failed: " + e.getCause().getMessage(), false, since(t0));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Decision(Accelerator.TCG, "KVM probe interrupted", false, since(t0));
    } finally {
      // Runs even when the probe thread is stuck in libvirt: destroy is idempotent.
      cleanup(id.name(), memory, paths);
    }
  }

  private Decision bootAndWatch(VmDefinition def, VmIdentity id, DomainPaths paths, long t0, Duration bound) {
    try {
      Files.createDirectories(settings.runDir());
      Files.createDirectories(settings.shmDir());
      hypervisor.create(DomainXml.render(def, VmRole.TEMPLATE, id, paths));
      long deadline = t0 + bound.toNanos();
      while (System.nanoTime() - deadline < 0) {
        if (consoleHas(paths.console(), USERSPACE_MARKER)) {
          return new Decision(Accelerator.KVM, "KVM probe boot reached userspace", false, since(t0));
        }
        Thread.sleep(50);
      }
      String tail = consoleTail(paths.console());
      return new Decision(Accelerator.TCG, "KVM probe boot did not reach userspace within " + bound
          + (tail.isEmpty() ? " (no console output)" : " (console ends: " + tail + ")"), false, since(t0));
    } catch (HypervisorException | IOException e) {
      return new Decision(Accelerator.TCG, "KVM domain did not start: " + e.getMessage(), false, since(t0));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Decision(Accelerator.TCG, "KVM probe interrupted", false, since(t0));
    } finally {
      // The caller cleans up too, but it may have given up before create returned.
      cleanup(id.name(), def.memoryFile(), paths);
    }
  }

  private void cleanup(String name, Path memory, DomainPaths paths) {
    try {
      hypervisor.destroy(name);
    } catch (RuntimeException e) {
      LOG.warn("KVM probe: could not destroy {}: {}", name, e.getMessage());
    }
    for (Path p : new Path[] {memory, paths.agentSocket(), paths.console(), paths.migrationSocket()}) {
      try {
        Files.deleteIfExists(p);
      } catch (IOException ignored) {
        // best effort
      }
    }
  }

  private static boolean consoleHas(Path console, String marker) {
    try {
      return Files.exists(console) && Files.readString(console, StandardCharsets.ISO_8859_1).contains(marker);
    } catch (IOException e) {
      return false;
    }
  }

  private static String consoleTail(Path console) {
    try {
      String s = Files.readString(console, StandardCharsets.ISO_8859_1).strip();
      s = s.substring(Math.max(0, s.length() - 160)).replaceAll("\\s+", " ");
      return s;
    } catch (IOException e) {
      return "";
    }
  }

  private String hostKey() {
    String cpu = "unknown";
    try {
      cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
          .filter(l -> l.startsWith("model name"))
          .map(l -> l.substring(l.indexOf(':') + 1).trim())
          .findFirst().orElse("unknown");
    } catch (IOException ignored) {
      // keep "unknown"
    }
    return "qemu=" + hypervisor.version() + ";host-kernel=" + System.getProperty("os.version") + ";cpu=" + cpu
        + ";uri=" + hypervisor.uri();
  }

  private @Nullable Decision readCache(String key, long t0) {
    Path f = settings.acceleratorCache();
    if (!Files.isRegularFile(f)) {
      return null;
    }
    Properties p = new Properties();
    try (InputStream in = Files.newInputStream(f)) {
      p.load(in);
    } catch (IOException e) {
      LOG.warn("unreadable accelerator cache {}: {}", f, e.getMessage());
      return null;
    }
    if (!key.equals(p.getProperty("key"))) {
      LOG.info("accelerator cache {} is for another host setup; probing again", f);
      return null;
    }
    try {
      return new Decision(Accelerator.valueOf(p.getProperty("accelerator")),
          p.getProperty("reason", "") + " (cached " + p.getProperty("probedAt", "?") + ")", true, since(t0));
    } catch (IllegalArgumentException | NullPointerException e) {
      return null;
    }
  }

  private void writeCache(String key, Decision d) {
    Path f = settings.acceleratorCache();
    Properties p = new Properties();
    p.setProperty("key", key);
    p.setProperty("accelerator", d.accelerator().name());
    p.setProperty("reason", d.reason());
    p.setProperty("probedAt", Instant.now().toString());
    try {
      if (f.getParent() != null) {
        Files.createDirectories(f.getParent());
      }
      Path tmp = f.resolveSibling(f.getFileName() + ".tmp");
      try (OutputStream out = Files.newOutputStream(tmp)) {
        p.store(out, "faaster accelerator decision for this host (delete to probe again)");
      }
      Files.move(tmp, f, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      LOG.warn("cannot write accelerator cache {}: {}", f, e.getMessage());
    }
  }

  private static Duration since(long t0) {
    return Duration.ofNanos(System.nanoTime() - t0);
  }
}

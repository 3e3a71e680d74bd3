package dev.faaster.vm;

import jakarta.inject.Singleton;
import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.xpath.XPathFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xml.sax.InputSource;

/**
 * Builds a template: boots the base VM with its RAM in a shared file under /dev/shm, waits for the
 * guest agent (which warms its runtime before it first answers), then saves the CPU and device
 * state with x-ignore-shared (RAM stays in the memory file, only ~300 KB are written) and destroys
 * the template domain. Clones map the memory file copy-on-write and load the state.
 *
 * <p>The save is a live migration of the running guest: with x-ignore-shared there is no RAM to
 * iterate, so QEMU pauses the vCPUs right away, writes the device state and completes; the memory
 * file then holds the RAM as of that pause. Saved from a running guest, the state makes clones
 * (which get {@code cont} while waiting, i.e. autostart) run as soon as it is loaded: the restore
 * needs no monitor command at all. ({@code stop} first, as DESIGN.md measured, works too, but then
 * every restore needs a {@code cont} round trip through libvirtd.)
 *
 * <p>On failure nothing is left behind: the domain is destroyed and the memory and state files are
 * deleted.
 */
@Singleton
public final class TemplateBuilder {

  private static final Logger LOG = LoggerFactory.getLogger(TemplateBuilder.class);

  private final Hypervisor hypervisor;
  private final AgentProbe agent;
  private final AcceleratorDetector accelerators;
  private final VmSettings settings;

  public TemplateBuilder(Hypervisor hypervisor, AgentProbe agent, AcceleratorDetector accelerators, VmSettings settings) {
    this.hypervisor = hypervisor;
    this.agent = agent;
    this.accelerators = accelerators;
    this.settings = settings;
  }

  /**
   * Boots {@code image}, waits for its agent, saves it.
   *
   * @throws TemplateBuildException if any step fails or times out
   */
  public TemplateImage build(GuestImage image, Flavor flavor) {
    Accelerator acc = accelerators.detect(image).accelerator();
    VmIdentity id = VmIdentity.random(settings.templatePrefix());
    Path memory = settings.shmDir().resolve(id.name() + ".mem");
    Path state = settings.shmDir().resolve(id.name() + ".state");
    DomainPaths paths = settings.paths(id.name());
    VmDefinition def = new VmDefinition(acc, flavor, VmDefinition.DEFAULT_MACHINE, settings.emulator(), image.kernel(),
        image.initramfs(), image.cmdline(), memory, settings.network(), paths.codeShare() != null);
    boolean ok = false;
    AgentClient host = null;
    try {
      Files.createDirectories(settings.runDir());
      Files.createDirectories(settings.shmDir());
      if (paths.codeShare() != null) {
        CodeShares.create(paths.codeShare()); // clones get the same device; the template never mounts it
      }
      long t0 = System.nanoTime();
      hypervisor.create(DomainXml.render(def, VmRole.TEMPLATE, id, paths));
      LOG.info("template {}: {} {} MiB {} booting ({} ms to create)", id.name(), image.runtime(), flavor.memoryMiB(),
          acc, ms(System.nanoTime() - t0));
      // Clones must run the same machine version the template ran: pin libvirt's expansion of "pc".
      def = def.withMachine(liveMachine(id.name(), def.machine()));
      // Saved with this connection open, so that clones connected ahead (AgentProbe.connectAhead)
      // resume without a change of host on their channel.
      host = agent.connectWhenReady(paths.agentSocket(), settings.bootTimeout());
      Duration boot = Duration.ofNanos(System.nanoTime() - t0);
      LOG.info("template {}: agent answered {} ms after create", id.name(), boot.toMillis());

      long s0 = System.nanoTime();
      Qmp qmp = new Qmp(hypervisor, id.name());
      qmp.ignoreShared();
      long bytes;
      try (MigrationStreams.Receiver rx = new MigrationStreams.Receiver(paths.migrationSocket())) {
        qmp.migrate("unix:" + paths.migrationSocket());
        bytes = rx.receiveInto(state, settings.saveTimeout());
      }
      awaitMigrationCompleted(qmp, s0 + settings.saveTimeout().toNanos());
      Duration save = Duration.ofNanos(System.nanoTime() - s0);
      hypervisor.destroy(id.name());
      TemplateImage t = new TemplateImage(id.name(), image.runtime(), def, state, bytes, hypervisor.version(),
          image.kernelSha256(), image.initramfsSha256(), Instant.now(), boot, save, true);
      LOG.info("template {}: saved {} KiB of device state in {} ms (memory file {})", id.name(), bytes / 1024,
          save.toMillis(), memory);
      ok = true;
      return t;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new TemplateBuildException("template " + id.name() + ": interrupted", e);
    } catch (IOException | VmException e) {
      throw new TemplateBuildException("template " + id.name() + " (" + image.runtime() + "): " + e.getMessage()
          + consoleHint(paths.console()), e);
    } finally {
      if (!ok) {
        destroyQuietly(id.name());
        deleteQuietly(memory);
        deleteQuietly(state);
      }
      // Only after the domain is gone: a host leaving is a control message QEMU writes into guest
      // memory, which after the save must not change (the memory file is every clone's RAM).
      if (host != null) {
        host.close();
      }
      deleteQuietly(paths.agentSocket());
      deleteQuietly(paths.migrationSocket());
      CodeShares.delete(paths.codeShare());
    }
  }

  /** Deletes a template's files. Running clones keep their mappings; new clones can't be made. */
  public void delete(TemplateImage template) {
    deleteQuietly(template.memoryFile());
    deleteQuietly(template.stateFile());
    deleteQuietly(settings.runDir().resolve(template.id() + ".console"));
  }

  private void awaitMigrationCompleted(Qmp qmp, long deadline) throws InterruptedException {
    while (true) {
      Qmp.MigrationStatus st = qmp.queryMigrate();
      if (st.completed()) {
        return;
      }
      if (st.failed()) {
        throw new HypervisorException("migration " + st.status() + ": " + st.error());
      }
      if (System.nanoTime() - deadline > 0) {
        throw new HypervisorException("migration still " + st.status() + " at the deadline");
      }
      Thread.sleep(2);
    }
  }

  private String liveMachine(String name, String fallback) {
    try {
      var doc = DocumentBuilderFactory.newInstance().newDocumentBuilder()
          .parse(new InputSource(new StringReader(hypervisor.liveXml(name))));
      String m = XPathFactory.newInstance().newXPath().evaluate("/domain/os/type/@machine", doc);
      return m == null || m.isBlank() ? fallback : m;
    } catch (Exception e) {
      LOG.warn("template {}: cannot read the expanded machine type, keeping {}: {}", name, fallback, e.toString());
      return fallback;
    }
  }

  private void destroyQuietly(String name) {
    try {
      hypervisor.destroy(name);
    } catch (RuntimeException e) {
      LOG.warn("could not destroy {}: {}", name, e.getMessage());
    }
  }

  static void deleteQuietly(Path p) {
    try {
      Files.deleteIfExists(p);
    } catch (IOException ignored) {
      // best effort
    }
  }

  static String consoleHint(Path console) {
    try {
      if (!Files.exists(console)) {
        return "";
      }
      String s = Files.readString(console, java.nio.charset.StandardCharsets.ISO_8859_1).strip();
      return s.isEmpty() ? " (console empty)" : " (console ends: " + s.substring(Math.max(0, s.length() - 300)) + ")";
    } catch (IOException e) {
      return "";
    }
  }

  private static long ms(long nanos) {
    return nanos / 1_000_000;
  }
}

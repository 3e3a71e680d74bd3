package dev.faaster.activities.vm;

import dev.faaster.vm.AgentReadiness;
import dev.faaster.vm.CloneFactory;
import dev.faaster.vm.Instance;
import dev.faaster.vm.LibvirtHypervisor;
import dev.faaster.vm.TemplateImage;
import dev.faaster.vm.VmSettings;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A stand-in for a node worker, run as its own JVM by VmReconcilerIT: restores clones of a template
 * this node holds, one after another, until it is killed. Killed with SIGKILL in the middle of a
 * restore it leaves what a crashed worker leaves: a domain no instance record names.
 *
 * <p>Arguments: libvirt URI, run dir, shm dir, domain name prefix, template id, code share dir (optional).
 */
public final class RestoringWorker {

  private RestoringWorker() {}

  public static void main(String[] args) {
    VmSettings d = VmSettings.defaults();
    VmSettings settings = new VmSettings(args[0], Path.of(args[1]), Path.of(args[2]), d.emulator(), args[3], "auto",
        d.acceleratorCache(), d.probeTimeout(), d.bootTimeout(), Duration.ofSeconds(90), d.saveTimeout(), 0, false,
        d.memoryMiB(), args.length > 5 ? Path.of(args[5]) : null);
    TemplateImage template = new NodeTemplates(settings).get(args[4])
        .orElseThrow(() -> new IllegalStateException("template " + args[4] + " not on this node"));
    LibvirtHypervisor hv = LibvirtHypervisor.connect(settings.uri());
    CloneFactory clones = new CloneFactory(hv, new AgentReadiness(), settings);
    while (true) {
      System.out.println("restoring a clone of " + template.id());
      Instance i = clones.restore(template);
      System.out.println("restored " + i.name() + " in " + i.timings().agentAnswered().toMillis() + " ms");
    }
  }
}

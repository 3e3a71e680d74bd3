package dev.faaster.bench;

import dev.faaster.registry.InstanceRecord;
import dev.faaster.registry.InstanceRepository;
import dev.faaster.vm.Accelerator;
import dev.faaster.vm.DomainPaths;
import dev.faaster.vm.DomainRef;
import dev.faaster.vm.DomainXml;
import dev.faaster.vm.Flavor;
import dev.faaster.vm.Hypervisor;
import dev.faaster.vm.VmDefinition;
import dev.faaster.vm.VmIdentity;
import dev.faaster.vm.VmRole;
import dev.faaster.workflows.instance.GuestCode;
import dev.faaster.workflows.instance.InstanceActivities;
import dev.faaster.workflows.instance.InstanceFailureTypes;
import dev.faaster.workflows.instance.InstanceHandle;
import dev.faaster.workflows.instance.LoadedCode;
import io.temporal.failure.ApplicationFailure;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The node's instance steps against libvirt's in-process test driver ({@code test:///default}):
 * every instance is a real transient libvirt domain, created from the same domain XML a clone gets
 * ({@link DomainXml}, role CLONE) and recorded in the registry as the node does, but there is no
 * QEMU and no guest. So there is no agent to give the identity to and no code to load:
 * {@link #loadCode} answers at once. What remains is the control plane's own cost: libvirt calls,
 * registry writes and Temporal's dispatch.
 */
final class TestDriverInstanceActivities implements InstanceActivities {

  /** The prefix of every domain this benchmark creates: the leak check counts domains under it. */
  static final String DOMAIN_PREFIX = "faaster-cpbench-";

  private static final Path RUN_DIR = Path.of("/run/faaster/cpbench");
  private static final VmDefinition DEFINITION =
      new VmDefinition(Accelerator.TCG, Flavor.SMALL, VmDefinition.DEFAULT_MACHINE, VmDefinition.DEFAULT_EMULATOR,
          Path.of("/img/vmlinuz"), Path.of("/img/initramfs.cpio.gz"), "console=ttyS0 quiet",
          Path.of("/dev/shm/faaster/cpbench.mem"), false);

  private final String nodeId;
  private final Hypervisor hypervisor;
  private final InstanceRepository records;
  /** Instance id to handle: idempotency without a registry read on the hot path. */
  private final Map<String, InstanceHandle> running = new ConcurrentHashMap<>();

  TestDriverInstanceActivities(String nodeId, Hypervisor hypervisor, InstanceRepository records) {
    this.nodeId = nodeId;
    this.hypervisor = hypervisor;
    this.records = records;
  }

  @Override
  public InstanceHandle createFromTemplate(String instanceId, String templateId) {
    return running.computeIfAbsent(instanceId, id -> create(id, templateId));
  }

  @Override
  public InstanceHandle createByBooting(String instanceId, String templateId) {
    return createFromTemplate(instanceId, templateId);
  }

  private InstanceHandle create(String instanceId, String templateId) {
    long started = System.nanoTime();
    VmIdentity identity = VmIdentity.random(DOMAIN_PREFIX);
    DomainPaths paths = DomainPaths.of(RUN_DIR, identity.name());
    DomainRef domain = hypervisor.create(DomainXml.render(DEFINITION, VmRole.CLONE, identity, paths));
    String alphanumeric = instanceId.replaceAll("[^A-Za-z0-9]", "");
    String hostname = "i-" + alphanumeric.substring(0, Math.min(12, alphanumeric.length()));
    try {
      Instant now = Instant.now();
      records.save(new InstanceRecord(instanceId, nodeId, templateId, domain.name(), domain.uuid().toString(),
          identity.mac(), hostname, null, InstanceRecord.READY, now, now));
    } catch (RuntimeException e) {
      // Not recorded, so nothing else would ever destroy it.
      hypervisor.destroy(domain.name());
      throw e;
    }
    long millis = (System.nanoTime() - started) / 1_000_000;
    return new InstanceHandle(instanceId, nodeId, domain.name(), domain.uuid().toString(), identity.mac(), hostname,
        paths.agentSocket().toString(), millis, false);
  }

  /** A test-driver domain has no guest: the code is "loaded" once the instance exists. */
  @Override
  public LoadedCode loadCode(String instanceId, GuestCode code) {
    if (!running.containsKey(instanceId)) {
      throw ApplicationFailure.newNonRetryableFailure(
          "instance " + instanceId + " is not running on node " + nodeId, InstanceFailureTypes.INSTANCE_GONE);
    }
    return new LoadedCode(0, 0, 0);
  }

  @Override
  public void destroy(String instanceId) {
    InstanceHandle handle = running.get(instanceId);
    String domainName = handle != null
        ? handle.domainName()
        : records.findById(instanceId).map(InstanceRecord::domainName).orElse(null);
    if (domainName == null) {
      return; // never created
    }
    hypervisor.destroy(domainName);
    records.updateState(instanceId, InstanceRecord.DESTROYED, Instant.now());
    running.remove(instanceId);
  }

  @Override
  public List<String> list() {
    return List.copyOf(running.keySet());
  }

  /** Instances this node still runs, by its own account. */
  int runningCount() {
    return running.size();
  }
}

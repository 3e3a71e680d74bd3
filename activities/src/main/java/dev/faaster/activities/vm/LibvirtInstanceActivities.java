package dev.faaster.activities.vm;

import dev.faaster.codecache.NodeCodeCache;
import dev.faaster.registry.InstanceRecord;
import dev.faaster.registry.InstanceRepository;
import dev.faaster.vm.AgentClient;
import dev.faaster.vm.AgentConnections;
import dev.faaster.vm.AgentMessages;
import dev.faaster.vm.CloneFactory;
import dev.faaster.vm.CodeShares;
import dev.faaster.vm.Instance;
import dev.faaster.vm.AgentException;
import dev.faaster.vm.AgentFrame;
import dev.faaster.vm.DomainXml;
import dev.faaster.vm.TemplateImage;
import dev.faaster.vm.VmSettings;
import dev.faaster.workflows.coldstart.ColdStartFailureTypes;
import dev.faaster.workflows.instance.GuestCode;
import dev.faaster.workflows.instance.LoadedCode;
import dev.faaster.workflows.instance.InstanceActivities;
import dev.faaster.workflows.instance.InstanceFailureTypes;
import dev.faaster.workflows.instance.InstanceHandle;
import io.micronaut.context.BeanProvider;
import io.micronaut.context.annotation.Requires;
import io.temporal.failure.ApplicationFailure;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Function;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Instances on this node: restored from a template, given their own identity, recorded. */
@Singleton
@Requires(property = "faaster.roles", pattern = NodeRole.PATTERN)
public class LibvirtInstanceActivities implements InstanceActivities {

  private static final Logger log = LoggerFactory.getLogger(LibvirtInstanceActivities.class);
  static final Duration AGENT_TIMEOUT = Duration.ofSeconds(5);
  /** Unpacking and importing a handler: python3 imports the user's module during LOAD_CODE. */
  static final Duration LOAD_TIMEOUT = Duration.ofSeconds(30);

  private final NodeConfiguration node;
  private final NodeTemplates templates;
  private final CloneFactory clones;
  private final AgentConnections connections;
  private final InstanceRepository instances;
  private final VmSettings settings;
  private final Clock clock;
  // Looked up when first needed: a node context without the code cache (no object store configured)
  // still restores instances, and their packages go inline.
  private final BeanProvider<NodeCodeCache> cache;

  public LibvirtInstanceActivities(NodeConfiguration node, NodeTemplates templates, CloneFactory clones,
      AgentConnections connections, InstanceRepository instances, VmSettings settings, Clock clock,
      BeanProvider<NodeCodeCache> cache) {
    this.cache = cache;
    this.connections = connections;
    this.node = node;
    this.templates = templates;
    this.clones = clones;
    this.instances = instances;
    this.settings = settings;
    this.clock = clock;
  }

  @Override
  public InstanceHandle createFromTemplate(String instanceId, String templateId) {
    return create(instanceId, templateId, clones::restore);
  }

  @Override
  public InstanceHandle createByBooting(String instanceId, String templateId) {
    return create(instanceId, templateId, clones::boot);
  }

  private InstanceHandle create(String instanceId, String templateId, Function<TemplateImage, Instance> make) {
    Optional<InstanceRecord> existing = instances.findById(instanceId);
    if (existing.isPresent() && InstanceRecord.READY.equals(existing.get().state())) {
      return handle(existing.get(), 0, false);
    }
    TemplateImage template =
        templates
            .get(templateId)
            .orElseThrow(
                () -> ApplicationFailure.newNonRetryableFailure(
                    "template " + templateId + " is not on node " + node.id(), InstanceFailureTypes.TEMPLATE_NOT_ON_NODE));
    long started = System.nanoTime();
    Instance vm = make.apply(template);
    try {
      long made = System.nanoTime();
      String hostname = hostnameOf(instanceId);
      // Kept open for the code and the invocations: a reconnect costs the guest a wake-up each.
      AgentClient agent = connections.acquire(vm.agentSocket(), AGENT_TIMEOUT);
      // A fresh identity and fresh entropy: clones of one template must not share either.
      AgentMessages.IdentityReply identity = agent.setIdentity(
          AgentMessages.IdentityRequest.of(instanceId, hostname, vm.identity().mac(), clock.millis()), AGENT_TIMEOUT);
      long identified = System.nanoTime();
      var now = clock.instant();
      InstanceRecord record =
          instances.save(
              new InstanceRecord(instanceId, node.id(), templateId, vm.name(), vm.identity().uuid().toString(),
                  vm.identity().mac(), hostname, null, InstanceRecord.READY, now, now));
      log.info("instance {} restored as {} in {} ms{}: made {} ms, identity {} ms (in the guest, us: {}), recorded {} ms",
          instanceId, vm.name(), vm.timings().agentAnswered().toMillis(), vm.timings().pooled() ? " (pre-created)" : "",
          (made - started) / 1_000_000, (identified - made) / 1_000_000, identity.stepsMicros(),
          (System.nanoTime() - identified) / 1_000_000);
      return handle(record, vm.timings().agentAnswered().toMillis(), vm.timings().pooled());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      connections.close(vm.agentSocket());
      clones.destroy(vm.name());
      throw new IllegalStateException("interrupted while giving " + vm.name() + " its identity", e);
    } catch (RuntimeException e) {
      // Not recorded, so nothing else would ever destroy it.
      connections.close(vm.agentSocket());
      clones.destroy(vm.name());
      throw e;
    }
  }

  @Override
  public LoadedCode loadCode(String instanceId, GuestCode code) {
    InstanceRecord record =
        instances
            .findById(instanceId)
            .filter(r -> InstanceRecord.READY.equals(r.state()))
            .orElseThrow(() -> ApplicationFailure.newNonRetryableFailure(
                "instance " + instanceId + " is not running on node " + node.id(), InstanceFailureTypes.INSTANCE_GONE));
    var request = new AgentMessages.LoadCodeRequest(code.runtime(), code.handler(), code.environment(), null,
        code.codeSha256(), code.functionName(), Integer.toString(code.version()), code.memoryMb());
    long started = System.nanoTime();
    Optional<String> inPlace = linkIntoShare(instanceId, record, code);
    byte[] zip = inPlace.isPresent() ? null : readPackage(Path.of(code.codePath()));
    if (inPlace.isPresent()) {
      request = request.inShare(DomainXml.CODE_SHARE_TAG, inPlace.get());
    }
    long placed = System.nanoTime();
    Path socket = agentSocketOf(record.domainName());
    try {
      // The connection stays open: invocations come on it, from the router in this process or
      // through this node's data plane from an API elsewhere.
      AgentMessages.LoadCodeReply reply = connections.acquire(socket, AGENT_TIMEOUT).loadCode(request, zip, LOAD_TIMEOUT);
      log.info("instance {}: loaded {} {} ({} ms on the host) in {} ms in the guest (us: {})", instanceId,
          code.codeSha256(), inPlace.isPresent() ? "in place from its code share" : "inline (" + zip.length + " bytes)",
          (placed - started) / 1_000_000, Math.round(reply.loadMs()), reply.stepsMicros());
      return new LoadedCode(reply.files(), reply.bytes(), Math.round(reply.loadMs()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while loading code into " + instanceId, e);
    } catch (AgentException e) {
      if (e.code() == null) {
        connections.close(socket); // broken or timed out: the retry connects afresh
      }
      if (e.code() != null) {
        // The guest answered and refused: the package or handler is wrong, a retry can't help.
        throw ApplicationFailure.newNonRetryableFailure(
            "the guest refused the code of " + code.functionName() + " version " + code.version() + ": "
                + e.getMessage(), ColdStartFailureTypes.CODE_LOAD_FAILED);
      }
      throw e;
    } finally {
      // The clone pool's refill waited for this cold start to be done with the CPU.
      clones.coldPathDone();
    }
  }

  /**
   * Links the instance's unpacked package (unpacked once per node in the L1 cache) into its
   * domain's code share, for the guest to read in place; empty when the instance has no share
   * (a template built without one) or this process holds no pin on the package, and the package
   * then goes inline.
   */
  private Optional<String> linkIntoShare(String instanceId, InstanceRecord record, GuestCode code) {
    Optional<Path> share = templates.get(record.templateId()).flatMap(t -> clones.codeShare(t, record.domainName()));
    if (share.isEmpty() || !cache.isPresent()) {
      return Optional.empty();
    }
    NodeCodeCache l1;
    try {
      l1 = cache.get();
    } catch (RuntimeException e) {
      log.warn("instance {}: no code cache on this node ({}); sending its package inline", instanceId, e.getMessage());
      return Optional.empty();
    }
    try {
      Optional<Path> tree = l1.pinnedTree(instanceId, code.codeSha256());
      if (tree.isEmpty()) {
        log.warn("instance {}: no pin on package {} in this process; sending it inline", instanceId, code.codeSha256());
        return Optional.empty();
      }
      return Optional.of(CodeShares.link(share.get(), code.codeSha256(), tree.get()));
    } catch (IOException e) {
      // E.g. share and cache on different file systems (no hard links): the cold start still works.
      log.warn("instance {}: cannot place package {} in the code share of {} ({}); sending it inline", instanceId,
          code.codeSha256(), record.domainName(), e.toString());
      return Optional.empty();
    }
  }

  /** The package bytes, sent inline in LOAD_CODE (instances without a code share). */
  private static byte[] readPackage(Path path) {
    try {
      long size = Files.size(path);
      if (size > AgentFrame.MAX_BODY) {
        throw ApplicationFailure.newNonRetryableFailure("package " + path.getFileName() + " is " + size
            + " bytes; the guest takes at most " + AgentFrame.MAX_BODY + " bytes inline",
            ColdStartFailureTypes.CODE_LOAD_FAILED);
      }
      return Files.readAllBytes(path);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read package " + path + ": " + e.getMessage(), e);
    }
  }

  private Path agentSocketOf(String domainName) {
    return settings.paths(domainName).agentSocket();
  }

  @Override
  public void destroy(String instanceId) {
    Optional<InstanceRecord> record = instances.findById(instanceId);
    if (record.isEmpty()) {
      log.info("instance {} was never created; nothing to destroy", instanceId);
      return;
    }
    connections.close(agentSocketOf(record.get().domainName()));
    clones.destroy(record.get().domainName());
    instances.updateState(instanceId, InstanceRecord.DESTROYED, clock.instant());
    log.info("destroyed instance {} ({})", instanceId, record.get().domainName());
  }

  @Override
  public List<String> list() {
    return instances.findByNodeIdAndStateInList(node.id(), List.of(InstanceRecord.STARTING, InstanceRecord.READY)).stream()
        .map(InstanceRecord::id)
        .toList();
  }

  /** "i-" and the first 12 letters or digits of the instance id: a valid, short hostname. */
  static String hostnameOf(String instanceId) {
    String alphanumeric = instanceId.replaceAll("[^A-Za-z0-9]", "");
    return "i-" + alphanumeric.substring(0, Math.min(12, alphanumeric.length()));
  }

  private InstanceHandle handle(InstanceRecord r, long restoreMillis, boolean pooled) {
    return new InstanceHandle(r.id(), r.nodeId(), r.domainName(), r.domainUuid(), r.mac(), r.hostname(),
        agentSocketOf(r.domainName()).toString(), restoreMillis, pooled);
  }
}

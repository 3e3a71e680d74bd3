package dev.faaster.activities.vm;

import dev.faaster.registry.InstanceRecord;
import dev.faaster.registry.InstanceRepository;
import dev.faaster.registry.TemplateRecord;
import dev.faaster.registry.TemplateRepository;
import dev.faaster.vm.CloneFactory;
import dev.faaster.vm.CodeShares;
import dev.faaster.vm.DomainRef;
import dev.faaster.vm.Hypervisor;
import dev.faaster.vm.VmSettings;
import io.micronaut.context.annotation.Requires;
import io.micronaut.scheduling.annotation.Scheduled;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes the node's hypervisor and the registry agree: destroys faaster domains that no instance
 * record and no step of this process owns (left by a worker killed mid-restore), marks records
 * whose domain vanished as LOST, and deletes the files of templates the registry retired.
 */
@Singleton
@Requires(property = "faaster.roles", pattern = NodeRole.PATTERN)
public class VmReconciler {

  private static final Logger log = LoggerFactory.getLogger(VmReconciler.class);

  /**
   * What one pass did.
   *
   * @param destroyed orphan domains destroyed
   * @param lost records marked LOST
   * @param templatesDeleted retired templates whose files were deleted
   */
  public record Result(List<String> destroyed, List<String> lost, List<String> templatesDeleted) {}

  private final Hypervisor hypervisor;
  private final VmSettings settings;
  private final NodeConfiguration node;
  private final InstanceRepository instances;
  private final CloneFactory clones;
  private final TemplateBuildsInProgress builds;
  private final TemplateRepository templates;
  private final NodeTemplates nodeTemplates;
  private final LibvirtTemplateActivities templateSteps;
  private final Clock clock;
  /** Templates the last pass found retired; deleted if this pass finds them retired still. */
  private final Set<String> retiredLastPass = new HashSet<>();

  public VmReconciler(
      Hypervisor hypervisor,
      VmSettings settings,
      NodeConfiguration node,
      InstanceRepository instances,
      CloneFactory clones,
      TemplateBuildsInProgress builds,
      TemplateRepository templates,
      NodeTemplates nodeTemplates,
      LibvirtTemplateActivities templateSteps,
      Clock clock) {
    this.hypervisor = hypervisor;
    this.settings = settings;
    this.node = node;
    this.instances = instances;
    this.clones = clones;
    this.builds = builds;
    this.templates = templates;
    this.nodeTemplates = nodeTemplates;
    this.templateSteps = templateSteps;
    this.clock = clock;
  }

  // The first pass waits like every later one (tests that drive reconcile() themselves set a long
  // interval, so no scheduled pass races them).
  @Scheduled(initialDelay = "${faaster.node.reconcile-interval:30s}", fixedDelay = "${faaster.node.reconcile-interval:30s}")
  void scheduled() {
    try {
      reconcile();
    } catch (RuntimeException e) {
      log.warn("VM reconciliation failed; the next pass retries: {}", e.getMessage());
    }
  }

  public synchronized Result reconcile() {
    List<InstanceRecord> records =
        instances.findByNodeIdAndStateInList(node.id(), List.of(InstanceRecord.STARTING, InstanceRecord.READY));
    Set<String> owned = new HashSet<>(clones.liveNames());
    owned.addAll(records.stream().map(InstanceRecord::domainName).collect(Collectors.toSet()));
    Set<String> live = new HashSet<>();
    List<String> destroyed = new ArrayList<>();
    boolean building = builds.any();
    for (DomainRef domain : hypervisor.list(settings.namePrefix())) {
      live.add(domain.name());
      boolean templateOrProbe = domain.name().startsWith(settings.templatePrefix()) || domain.name().startsWith(settings.probePrefix());
      // liveNames again: a clone created after the first look must not pass for an orphan.
      if (owned.contains(domain.name()) || clones.liveNames().contains(domain.name()) || (templateOrProbe && building)) {
        continue;
      }
      clones.destroy(domain.name());
      destroyed.add(domain.name());
      log.warn("destroyed orphan domain {} (no instance record, not owned by this process)", domain.name());
    }
    sweepCodeShares(owned, live);
    List<String> lost = new ArrayList<>();
    for (InstanceRecord record : records) {
      if (live.contains(record.domainName())) {
        continue;
      }
      // The clone factory keeps every domain it restored among its live names until it destroys
      // it, so that name says nothing about a domain that crashed or was destroyed behind its back.
      // Only a STARTING record may name a domain this process is still creating.
      if (InstanceRecord.STARTING.equals(record.state()) && clones.liveNames().contains(record.domainName())) {
        continue;
      }
      clones.destroy(record.domainName()); // forgets the name and deletes the domain's files
      instances.updateState(record.id(), InstanceRecord.LOST, clock.instant());
      lost.add(record.id());
      log.warn("instance {} lost its domain {}; marked LOST", record.id(), record.domainName());
    }
    return new Result(destroyed, lost, sweepRetiredTemplates());
  }

  /**
   * Deletes the templates this node holds that the registry retired when a newer template of the
   * runtime became READY: each keeps a memory file (128 MiB) in /dev/shm, RAM that nothing else
   * gives back before a reboot, and a node that rebuilds after every image change would pile
   * them up. A template goes on the pass after the one that first found it retired, so a cold
   * start that picked it just before the retirement has restored by then; its running clones keep
   * their memory mappings, its pending ones are destroyed. Templates with no record are left
   * alone: the directory may hold another node's (a shared /dev/shm and another database).
   */
  private List<String> sweepRetiredTemplates() {
    Set<String> retired = new HashSet<>();
    for (String id : nodeTemplates.described()) {
      templates.findById(id)
          .filter(r -> node.id().equals(r.nodeId()) && TemplateRecord.RETIRED.equals(r.status()))
          .ifPresent(r -> retired.add(id));
    }
    List<String> deleted = new ArrayList<>();
    for (String id : retired) {
      if (retiredLastPass.contains(id)) {
        templateSteps.deleteTemplate(id);
        deleted.add(id);
        log.info("deleted retired template {} (a newer one of its runtime is ready)", id);
      }
    }
    retiredLastPass.clear();
    retired.removeAll(deleted);
    retiredLastPass.addAll(retired);
    return deleted;
  }

  /** Deletes the code shares of this node's domains that exist no more (a process died before destroying them). */
  private void sweepCodeShares(Set<String> owned, Set<String> live) {
    Path shares = settings.shareDir();
    if (shares == null || !Files.isDirectory(shares)) {
      return;
    }
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(shares, settings.namePrefix() + "*")) {
      for (Path dir : dirs) {
        String name = dir.getFileName().toString();
        if (!live.contains(name) && !owned.contains(name) && !clones.liveNames().contains(name)) {
          CodeShares.delete(dir);
          log.warn("deleted the code share of {}, a domain that is gone", name);
        }
      }
    } catch (IOException e) {
      log.warn("could not sweep code shares under {}: {}", shares, e.toString());
    }
  }
}

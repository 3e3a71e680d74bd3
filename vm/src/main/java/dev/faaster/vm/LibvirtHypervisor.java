package dev.faaster.vm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.Error.ErrorNumber;
import org.libvirt.LibvirtException;
import org.libvirt.jna.Libvirt;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link Hypervisor} on libvirt-java (JNA, needs libvirt.so.0 on the host). One connection serves
 * every thread: libvirt connections are thread-safe and calls on different domains run
 * concurrently in libvirtd. Domain handles are cached by name so a monitor command is one RPC;
 * the garbage collector frees cached handles (a handle may be in use by another thread).
 *
 * <p>Works against {@code qemu:///system} and against libvirt's in-process test driver
 * ({@code test:///default}), which has no QEMU monitor: {@link #qmp} fails there.
 */
public final class LibvirtHypervisor implements Hypervisor {

  private static final Logger LOG = LoggerFactory.getLogger(LibvirtHypervisor.class);
  private static final Path QEMU_PID_DIR = Path.of("/run/libvirt/qemu");
  /**
   * libvirt's default error function prints every error to stderr, including expected ones (a
   * domain that is already gone). Errors reach callers as LibvirtExceptions anyway; this keeps
   * stderr clean. A static field: JNA must not see the callback collected.
   */
  private static final Libvirt.VirErrorCallback SILENT = (userData, error) -> { };

  private final String uri;
  private final Connect conn;
  private final Map<String, Domain> handles = new ConcurrentHashMap<>();
  private final Map<String, OptionalLong> pids = new ConcurrentHashMap<>();

  private LibvirtHypervisor(String uri, Connect conn) {
    this.uri = uri;
    this.conn = conn;
  }

  /**
   * Opens a read-write connection to {@code uri}.
   *
   * @throws HypervisorException if libvirt (or libvirt.so.0 itself) is unavailable
   */
  public static LibvirtHypervisor connect(String uri) {
    try {
      Connect.setErrorCallback(SILENT);
      Connect c = new Connect(uri, false);
      LOG.debug("connected to {}", uri);
      return new LibvirtHypervisor(uri, c);
    } catch (LibvirtException e) {
      throw new HypervisorException("cannot connect to " + uri + ": " + message(e), e);
    } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
      throw new HypervisorException("cannot load libvirt (is libvirt0 installed?): " + e.getMessage(), e);
    }
  }

  @Override
  public String uri() {
    return uri;
  }

  @Override
  public String version() {
    try {
      long v = conn.getVersion();
      return (v / 1_000_000) + "." + (v / 1_000 % 1_000) + "." + (v % 1_000);
    } catch (LibvirtException e) {
      throw new HypervisorException("version of " + uri + ": " + message(e), e);
    }
  }

  @Override
  public DomainRef create(String domainXml) {
    try {
      Domain d = conn.domainCreateXML(domainXml, 0);
      String name = d.getName();
      handles.put(name, d);
      return new DomainRef(name, UUID.fromString(d.getUUIDString()), true);
    } catch (LibvirtException e) {
      throw new HypervisorException("create domain: " + message(e), e);
    }
  }

  @Override
  public String qmp(String domainName, String command) {
    try {
      return domain(domainName).qemuMonitorCommand(command, 0);
    } catch (LibvirtException e) {
      if (isNoDomain(e)) {
        handles.remove(domainName);
      }
      throw new HypervisorException("QMP " + command + " on " + domainName + ": " + message(e), e);
    }
  }

  @Override
  public String liveXml(String domainName) {
    try {
      return domain(domainName).getXMLDesc(0);
    } catch (LibvirtException e) {
      throw new HypervisorException("XML of " + domainName + ": " + message(e), e);
    }
  }

  @Override
  public boolean destroy(String domainName) {
    // A cached handle may be in use by another thread's monitor call: drop it from the cache and
    // let the garbage collector free it (Domain.finalize), never free it here.
    Domain cached = handles.remove(domainName);
    pids.remove(domainName);
    Domain looked = null;
    try {
      Domain d = cached;
      if (d == null) {
        d = looked = conn.domainLookupByName(domainName);
      }
      // A persistent definition (never made by this module, but the test driver has one) goes too.
      // Asked first: a transient domain no longer exists once destroyed.
      boolean persistent = d.isPersistent() == 1;
      if (d.isActive() == 1) {
        d.destroy();
      }
      if (persistent) {
        d.undefine();
      }
      return true;
    } catch (LibvirtException e) {
      if (isNoDomain(e)) {
        return false;
      }
      throw new HypervisorException("destroy " + domainName + ": " + message(e), e);
    } finally {
      free(looked);
    }
  }

  @Override
  public List<DomainRef> list(String namePrefix) {
    try {
      Domain[] all = conn.listAllDomains(0);
      List<DomainRef> out = new ArrayList<>(all.length);
      for (Domain d : all) {
        try {
          String name = d.getName();
          if (name.startsWith(namePrefix)) {
            out.add(new DomainRef(name, UUID.fromString(d.getUUIDString()), d.isActive() == 1));
          }
        } catch (LibvirtException e) {
          if (!isNoDomain(e)) {
            throw e;
          }
          // Destroyed between listing and asking: not there any more.
        } finally {
          free(d);
        }
      }
      return out;
    } catch (LibvirtException e) {
      throw new HypervisorException("list domains: " + message(e), e);
    }
  }

  @Override
  public boolean isAlive(String domainName) {
    OptionalLong pid = pids.computeIfAbsent(domainName, this::qemuPid);
    if (pid.isPresent()) {
      try {
        String status = Files.readString(Path.of("/proc", Long.toString(pid.getAsLong()), "status"));
        // A zombie has exited; a recycled pid would not be a QEMU of ours for long enough to matter.
        return !status.contains("\nState:\tZ");
      } catch (IOException e) {
        pids.remove(domainName);
        return false;
      }
    }
    try {
      return domain(domainName).isActive() == 1;
    } catch (LibvirtException e) {
      if (isNoDomain(e)) {
        return false;
      }
      throw new HypervisorException("state of " + domainName + ": " + message(e), e);
    }
  }

  @Override
  public OptionalLong qemuPid(String domainName) {
    if (!uri.startsWith("qemu:///")) {
      return OptionalLong.empty();
    }
    try {
      String s = Files.readString(QEMU_PID_DIR.resolve(domainName + ".pid")).trim();
      return s.isEmpty() ? OptionalLong.empty() : OptionalLong.of(Long.parseLong(s));
    } catch (IOException | NumberFormatException e) {
      return OptionalLong.empty();
    }
  }

  @Override
  public void close() {
    handles.clear();
    pids.clear();
    try {
      conn.close();
    } catch (LibvirtException e) {
      LOG.warn("closing {}: {}", uri, message(e));
    }
  }

  private Domain domain(String name) throws LibvirtException {
    Domain d = handles.get(name);
    if (d != null) {
      return d;
    }
    d = conn.domainLookupByName(name);
    Domain prev = handles.putIfAbsent(name, d);
    if (prev != null) {
      free(d);
      return prev;
    }
    return d;
  }

  static boolean isNoDomain(LibvirtException e) {
    return e.getError() != null && e.getError().getCode() == ErrorNumber.VIR_ERR_NO_DOMAIN;
  }

  private static String message(LibvirtException e) {
    return e.getError() != null && e.getError().getMessage() != null ? e.getError().getMessage() : String.valueOf(e);
  }

  private static void free(Domain d) {
    if (d != null) {
      try {
        d.free();
      } catch (LibvirtException | RuntimeException ignored) {
        // Freeing a handle can't meaningfully fail; the domain itself is unaffected.
      }
    }
  }
}

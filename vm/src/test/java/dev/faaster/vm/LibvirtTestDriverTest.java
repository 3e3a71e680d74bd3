package dev.faaster.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The libvirt driver against libvirt's in-process test driver ({@code test:///default}): real
 * libvirt-java and libvirt.so, no QEMU, no daemon. Skipped when libvirt.so.0 can't be loaded.
 */
class LibvirtTestDriverTest {

  static LibvirtHypervisor hv;
  static final String PREFIX = "faaster-tdt-";

  @BeforeAll
  static void connect() {
    try {
      hv = LibvirtHypervisor.connect("test:///default");
    } catch (HypervisorException e) {
      Assumptions.abort("libvirt test driver unavailable (install libvirt0): " + e.getMessage());
    }
  }

  @AfterAll
  static void close() {
    if (hv != null) {
      hv.close();
    }
  }

  @AfterEach
  void cleanUp() {
    for (DomainRef d : hv.list(PREFIX)) {
      hv.destroy(d.name());
    }
  }

  static String xml(VmIdentity id, VmRole role) {
    VmDefinition def = DomainXmlTest.definition(Accelerator.TCG, true);
    return DomainXml.render(def, role, id, DomainPaths.of(Path.of("/run/faaster/vm"), id.name()));
  }

  @Test
  void createListAndDestroyTransientDomains() {
    VmIdentity a = VmIdentity.random(PREFIX);
    VmIdentity b = VmIdentity.random(PREFIX);

    DomainRef ra = hv.create(xml(a, VmRole.TEMPLATE));
    DomainRef rb = hv.create(xml(b, VmRole.CLONE));

    assertThat(ra).isEqualTo(new DomainRef(a.name(), a.uuid(), true));
    assertThat(rb.uuid()).isEqualTo(b.uuid());
    assertThat(hv.list(PREFIX)).containsExactlyInAnyOrder(ra, rb);
    // The test driver's own persistent domain "test" is not ours.
    assertThat(hv.list(PREFIX)).noneMatch(d -> d.name().equals("test"));

    assertThat(hv.destroy(a.name())).isTrue();
    assertThat(hv.list(PREFIX)).containsExactly(rb);
    assertThat(hv.destroy(b.name())).isTrue();
    assertThat(hv.list(PREFIX)).isEmpty();
  }

  @Test
  void destroyOfAnUnknownDomainIsNotAnError() {
    assertThat(hv.destroy(PREFIX + "missing")).isFalse();
  }

  @Test
  void aDuplicateNameIsRefused() {
    VmIdentity a = VmIdentity.random(PREFIX);
    hv.create(xml(a, VmRole.CLONE));
    VmIdentity sameName = new VmIdentity(a.name(), java.util.UUID.randomUUID(), a.mac());
    assertThatThrownBy(() -> hv.create(xml(sameName, VmRole.CLONE))).isInstanceOf(HypervisorException.class);
  }

  @Test
  void theTestDriverHasNoQemuMonitor() {
    VmIdentity a = VmIdentity.random(PREFIX);
    hv.create(xml(a, VmRole.CLONE));
    assertThatThrownBy(() -> new Qmp(hv, a.name()).status()).isInstanceOf(HypervisorException.class);
  }

  @Test
  void manyConcurrentCreatesGiveDistinctDomains() throws Exception {
    ExecutorService ex = Executors.newFixedThreadPool(8);
    List<Future<DomainRef>> fs = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      fs.add(ex.submit(() -> hv.create(xml(VmIdentity.random(PREFIX), VmRole.CLONE))));
    }
    for (Future<DomainRef> f : fs) {
      f.get();
    }
    ex.shutdown();
    List<DomainRef> listed = hv.list(PREFIX);
    assertThat(listed).hasSize(200);
    assertThat(listed).extracting(DomainRef::uuid).doesNotHaveDuplicates();

    List<Future<Boolean>> ds = new ArrayList<>();
    ExecutorService ex2 = Executors.newFixedThreadPool(8);
    for (DomainRef d : listed) {
      ds.add(ex2.submit(() -> hv.destroy(d.name())));
    }
    for (Future<Boolean> f : ds) {
      assertThat(f.get()).isTrue();
    }
    ex2.shutdown();
    assertThat(hv.list(PREFIX)).isEmpty();
  }

  @Test
  void versionIsDotted() {
    assertThat(hv.version()).matches("\\d+\\.\\d+\\.\\d+");
    assertThat(hv.uri()).isEqualTo("test:///default");
  }
}

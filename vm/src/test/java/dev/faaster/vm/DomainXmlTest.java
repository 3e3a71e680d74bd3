package dev.faaster.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.StringReader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.xpath.XPath;
import javax.xml.xpath.XPathConstants;
import javax.xml.xpath.XPathFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.NodeList;
import org.xml.sax.InputSource;

class DomainXmlTest {

  static final Path RUN = Path.of("/run/faaster/vm");

  static VmDefinition definition(Accelerator acc, boolean network) {
    return new VmDefinition(acc, Flavor.SMALL, "pc", VmDefinition.DEFAULT_EMULATOR, Path.of("/img/vmlinuz"),
        Path.of("/img/initramfs.cpio.gz"), "console=ttyS0 quiet", Path.of("/dev/shm/faaster/t1.mem"), network);
  }

  static Document parse(String xml) throws Exception {
    DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
    f.setNamespaceAware(true);
    return f.newDocumentBuilder().parse(new InputSource(new StringReader(xml)));
  }

  static String xpath(Document d, String expr) throws Exception {
    return XPathFactory.newInstance().newXPath().evaluate(expr, d);
  }

  static List<String> qemuArgs(Document d) throws Exception {
    XPath xp = XPathFactory.newInstance().newXPath();
    NodeList args = (NodeList) xp.evaluate("//*[local-name()='arg']/@value", d, XPathConstants.NODESET);
    List<String> out = new ArrayList<>();
    for (int i = 0; i < args.getLength(); i++) {
      out.add(args.item(i).getNodeValue());
    }
    return out;
  }

  @Test
  void templateXmlParsesWithTheAgreedDevices() throws Exception {
    VmIdentity id = VmIdentity.random("faaster-t-");
    Document d = parse(DomainXml.render(definition(Accelerator.TCG, false), VmRole.TEMPLATE, id, DomainPaths.of(RUN, id.name())));

    assertThat(xpath(d, "/domain/@type")).isEqualTo("qemu");
    assertThat(xpath(d, "/domain/name")).isEqualTo(id.name());
    assertThat(xpath(d, "/domain/uuid")).isEqualTo(id.uuid().toString());
    assertThat(xpath(d, "/domain/memory")).isEqualTo("128");
    assertThat(xpath(d, "/domain/memory/@unit")).isEqualTo("MiB");
    assertThat(xpath(d, "/domain/os/type/@machine")).isEqualTo("pc");
    assertThat(xpath(d, "/domain/os/kernel")).isEqualTo("/img/vmlinuz");
    assertThat(xpath(d, "/domain/os/initrd")).isEqualTo("/img/initramfs.cpio.gz");
    assertThat(xpath(d, "/domain/os/cmdline")).isEqualTo("console=ttyS0 quiet");
    assertThat(xpath(d, "/domain/devices/channel/@type")).isEqualTo("unix");
    assertThat(xpath(d, "/domain/devices/channel/source/@mode")).isEqualTo("bind");
    assertThat(xpath(d, "/domain/devices/channel/source/@path")).isEqualTo(RUN.resolve(id.name() + ".agent").toString());
    assertThat(xpath(d, "/domain/devices/channel/target/@name")).isEqualTo("dev.faaster.agent");
    assertThat(xpath(d, "/domain/devices/channel/target/@type")).isEqualTo("virtio");
    assertThat(xpath(d, "count(/domain/devices/disk)")).isEqualTo("0");
    assertThat(xpath(d, "count(/domain/devices/interface)")).isEqualTo("0");
    assertThat(d.getDocumentElement().lookupNamespaceURI("qemu")).isEqualTo(DomainXml.QEMU_NS);
    assertThat(qemuArgs(d)).containsExactly(
        "-object", "memory-backend-file,id=tmem,size=128M,mem-path=/dev/shm/faaster/t1.mem,share=on",
        "-machine", "memory-backend=tmem");
  }

  @Test
  void cloneMapsTheSameFilePrivatelyAndWaitsForIncomingState() throws Exception {
    VmIdentity id = VmIdentity.random("faaster-c-");
    Document d = parse(DomainXml.render(definition(Accelerator.TCG, false), VmRole.CLONE, id, DomainPaths.of(RUN, id.name())));

    assertThat(qemuArgs(d)).containsExactly(
        "-object", "memory-backend-file,id=tmem,size=128M,mem-path=/dev/shm/faaster/t1.mem,share=off",
        "-machine", "memory-backend=tmem",
        "-incoming", "defer");
  }

  @Test
  void cloneAndTemplateDifferOnlyInShareFlagAndIncoming() {
    VmIdentity id = VmIdentity.random("faaster-x-");
    DomainPaths paths = DomainPaths.of(RUN, id.name());
    VmDefinition def = definition(Accelerator.TCG, true);
    String template = DomainXml.render(def, VmRole.TEMPLATE, id, paths);
    String clone = DomainXml.render(def, VmRole.CLONE, id, paths);

    String expected = template
        .replace("share=on", "share=off")
        .replace("<description>faaster template</description>", "<description>faaster clone</description>")
        .replace("  </qemu:commandline>", "    <qemu:arg value='-incoming'/>\n    <qemu:arg value='defer'/>\n  </qemu:commandline>");
    assertThat(clone).isEqualTo(expected);
  }

  @Test
  void clonesOfOneTemplateDifferOnlyInIdentityAndFiles() {
    VmDefinition def = definition(Accelerator.TCG, true);
    VmIdentity a = VmIdentity.random("faaster-c-");
    VmIdentity b = VmIdentity.random("faaster-c-");
    String xa = DomainXml.render(def, VmRole.CLONE, a, DomainPaths.of(RUN, a.name()));
    String xb = DomainXml.render(def, VmRole.CLONE, b, DomainPaths.of(RUN, b.name()));

    assertThat(xa).isNotEqualTo(xb);
    assertThat(xa.replace(a.name(), "N").replace(a.uuid().toString(), "U").replace(a.mac(), "M"))
        .isEqualTo(xb.replace(b.name(), "N").replace(b.uuid().toString(), "U").replace(b.mac(), "M"));
  }

  @Test
  void codeShareIsAReadOnly9pExportOfTheDomainsOwnDirectory() throws Exception {
    VmDefinition d0 = definition(Accelerator.TCG, false);
    VmDefinition shared = new VmDefinition(d0.accelerator(), d0.flavor(), d0.machine(), d0.emulator(), d0.kernel(),
        d0.initramfs(), d0.cmdline(), d0.memoryFile(), false, true);
    Path shares = Path.of("/var/lib/faaster/l1/shares");
    VmIdentity id = VmIdentity.random("faaster-c-");
    Document d = parse(DomainXml.render(shared, VmRole.CLONE, id, DomainPaths.of(RUN, shares, id.name())));
    assertThat(xpath(d, "/domain/devices/filesystem/@accessmode")).isEqualTo("passthrough");
    assertThat(xpath(d, "/domain/devices/filesystem/source/@dir")).isEqualTo(shares.resolve(id.name()).toString());
    assertThat(xpath(d, "/domain/devices/filesystem/target/@dir")).isEqualTo(DomainXml.CODE_SHARE_TAG);
    assertThat(xpath(d, "count(/domain/devices/filesystem/readonly)")).isEqualTo("1");

    Document plain = parse(DomainXml.render(d0, VmRole.CLONE, id, DomainPaths.of(RUN, shares, id.name())));
    assertThat(xpath(plain, "count(/domain/devices/filesystem)")).as("only definitions with a share get one").isEqualTo("0");
    assertThatThrownBy(() -> DomainXml.render(shared, VmRole.CLONE, id, DomainPaths.of(RUN, id.name())))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("code share");
  }

  @Test
  void kvmDomainsHaveTypeKvm() throws Exception {
    VmIdentity id = VmIdentity.random("faaster-t-");
    Document d = parse(DomainXml.render(definition(Accelerator.KVM, false), VmRole.TEMPLATE, id, DomainPaths.of(RUN, id.name())));
    assertThat(xpath(d, "/domain/@type")).isEqualTo("kvm");
  }

  @Test
  void networkAddsAVirtioNicWithTheDomainsMac() throws Exception {
    VmIdentity id = VmIdentity.random("faaster-c-");
    Document d = parse(DomainXml.render(definition(Accelerator.TCG, true), VmRole.CLONE, id, DomainPaths.of(RUN, id.name())));
    assertThat(xpath(d, "/domain/devices/interface/@type")).isEqualTo("user");
    assertThat(xpath(d, "/domain/devices/interface/mac/@address")).isEqualTo(id.mac());
    assertThat(xpath(d, "/domain/devices/interface/model/@type")).isEqualTo("virtio");
  }

  @Test
  void flavorSizesTheMemoryAndTheBackendAlike() throws Exception {
    VmDefinition def = new VmDefinition(Accelerator.TCG, new Flavor(256, 2), "pc", VmDefinition.DEFAULT_EMULATOR,
        Path.of("/k"), Path.of("/i"), "", Path.of("/dev/shm/m"), false);
    VmIdentity id = VmIdentity.random("faaster-t-");
    Document d = parse(DomainXml.render(def, VmRole.TEMPLATE, id, DomainPaths.of(RUN, id.name())));
    assertThat(xpath(d, "/domain/memory")).isEqualTo("256");
    assertThat(xpath(d, "/domain/vcpu")).isEqualTo("2");
    assertThat(qemuArgs(d).get(1)).contains("size=256M");
  }

  @Test
  void specialCharactersInTheCommandLineAreEscaped() throws Exception {
    VmDefinition def = new VmDefinition(Accelerator.TCG, Flavor.SMALL, "pc", VmDefinition.DEFAULT_EMULATOR,
        Path.of("/k"), Path.of("/i"), "a<b & c='d' \"e\"", Path.of("/dev/shm/m"), false);
    VmIdentity id = VmIdentity.random("faaster-t-");
    Document d = parse(DomainXml.render(def, VmRole.TEMPLATE, id, DomainPaths.of(RUN, id.name())));
    assertThat(xpath(d, "/domain/os/cmdline")).isEqualTo("a<b & c='d' \"e\"");
  }

  @Test
  void controlCharactersAreRejected() {
    VmDefinition def = new VmDefinition(Accelerator.TCG, Flavor.SMALL, "pc", VmDefinition.DEFAULT_EMULATOR,
        Path.of("/k"), Path.of("/i"), "x\u0001", Path.of("/dev/shm/m"), false);
    VmIdentity id = VmIdentity.random("faaster-t-");
    assertThatThrownBy(() -> DomainXml.render(def, VmRole.TEMPLATE, id, DomainPaths.of(RUN, id.name())))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aMemoryPathWithACommaIsRejected() {
    assertThatThrownBy(() -> new VmDefinition(Accelerator.TCG, Flavor.SMALL, "pc", VmDefinition.DEFAULT_EMULATOR,
        Path.of("/k"), Path.of("/i"), "", Path.of("/dev/shm/a,share=on"), false))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void socketPathsLongerThanUnixAllowsAreRejected() {
    assertThatThrownBy(() -> DomainPaths.of(Path.of("/" + "d".repeat(100)), "faaster-c-0123456789ab"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void randomIdentitiesAreDistinct() {
    Set<String> names = new HashSet<>();
    Set<UUID> uuids = new HashSet<>();
    Set<String> macs = new HashSet<>();
    for (int i = 0; i < 1000; i++) {
      VmIdentity id = VmIdentity.random("faaster-c-");
      names.add(id.name());
      uuids.add(id.uuid());
      macs.add(id.mac());
      assertThat(id.name()).matches("faaster-c-[0-9a-f]{12}");
      assertThat(id.mac()).matches("52(:[0-9a-f]{2}){5}");
    }
    assertThat(names).hasSize(1000);
    assertThat(uuids).hasSize(1000);
    assertThat(macs).hasSize(1000);
  }

  @Test
  void invalidIdentitiesAreRejected() {
    assertThatThrownBy(() -> new VmIdentity("bad name", UUID.randomUUID(), "52:54:00:00:00:01"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new VmIdentity("ok", UUID.randomUUID(), "52:54:00:00:00"))
        .isInstanceOf(IllegalArgumentException.class);
  }
}

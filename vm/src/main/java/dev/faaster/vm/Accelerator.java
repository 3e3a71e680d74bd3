package dev.faaster.vm;

/** How QEMU runs guest code: hardware virtualization or software emulation. */
public enum Accelerator {
  /** Hardware virtualization through /dev/kvm (libvirt domain type {@code kvm}). */
  KVM("kvm"),
  /** QEMU's software emulation (libvirt domain type {@code qemu}); works everywhere, slower. */
  TCG("qemu");

  private final String domainType;

  Accelerator(String domainType) {
    this.domainType = domainType;
  }

  /** The value of {@code <domain type='...'>}. */
  public String domainType() {
    return domainType;
  }
}

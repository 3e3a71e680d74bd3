package dev.faaster.vm;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Objects;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * What makes one domain distinct from every other on the host: libvirt name, UUID and the MAC of
 * its network interface. Two domains restored from one template never share any of them.
 *
 * @param name libvirt domain name ({@code [A-Za-z0-9_.-]}, at most 64 characters)
 * @param uuid libvirt/SMBIOS UUID
 * @param mac MAC address, lower-case; generated ones are unicast and locally administered
 */
public record VmIdentity(String name, UUID uuid, String mac) {

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]{1,64}");
  private static final Pattern MAC = Pattern.compile("([0-9a-f]{2}:){5}[0-9a-f]{2}");
  private static final SecureRandom RANDOM = new SecureRandom();

  public VmIdentity {
    Objects.requireNonNull(uuid, "uuid");
    if (name == null || !NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("invalid domain name: " + name);
    }
    if (mac == null || !MAC.matcher(mac).matches()) {
      throw new IllegalArgumentException("invalid MAC: " + mac);
    }
  }

  /**
   * A fresh identity: {@code <prefix><12 hex digits>}, a random UUID and a random MAC
   * {@code 52:xx:xx:xx:xx:xx} (0x52: unicast, locally administered, like QEMU's 52:54:00 but with
   * 40 random bits instead of 24, so that hundreds of thousands of instances don't collide). 48
   * random bits in the name make collisions negligible; libvirt refuses a duplicate name or UUID.
   */
  public static VmIdentity random(String namePrefix) {
    byte[] b = new byte[11];
    RANDOM.nextBytes(b);
    String suffix = HexFormat.of().formatHex(b, 0, 6);
    String mac = "52:" + HexFormat.ofDelimiter(":").formatHex(b, 6, 11);
    return new VmIdentity(namePrefix + suffix, UUID.randomUUID(), mac);
  }
}

package dev.faaster.vm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;

/**
 * A bootable guest: kernel, initramfs and command line for one runtime, with the digests a
 * template records so that a changed input forces a rebuild.
 *
 * @param runtime runtime name ({@code provided}, {@code python3}, ...)
 * @param kernel vmlinuz
 * @param initramfs initramfs (the runtime and the guest agent)
 * @param cmdline kernel command line
 * @param kernelSha256 hex SHA-256 of the kernel file
 * @param initramfsSha256 hex SHA-256 of the initramfs file
 */
public record GuestImage(
    String runtime, Path kernel, Path initramfs, String cmdline, String kernelSha256, String initramfsSha256) {

  /** Serial console on ttyS0, quiet boot, panic powers off (the domain is destroyed). */
  public static final String DEFAULT_CMDLINE = "console=ttyS0 panic=-1 quiet";

  public GuestImage {
    Objects.requireNonNull(runtime, "runtime");
    Objects.requireNonNull(kernel, "kernel");
    Objects.requireNonNull(initramfs, "initramfs");
    Objects.requireNonNull(cmdline, "cmdline");
    Objects.requireNonNull(kernelSha256, "kernelSha256");
    Objects.requireNonNull(initramfsSha256, "initramfsSha256");
  }

  /** An image from two files, hashing them. */
  public static GuestImage of(String runtime, Path kernel, Path initramfs, String cmdline) {
    return new GuestImage(runtime, kernel, initramfs, cmdline, sha256(kernel), sha256(initramfs));
  }

  /**
   * The image in {@code dir} as infra/guest/build-image.sh lays it out
   * ({@code <runtime>-<digest>/{vmlinuz,initramfs.cpio.gz,manifest.json}}). The runtime and
   * command line come from manifest.json when it has {@code runtime} / {@code cmdline} fields,
   * else from the directory name and {@link #DEFAULT_CMDLINE}; digests are always computed from the
   * files themselves, so a manifest can't vouch for files that changed after it was written.
   */
  public static GuestImage fromDirectory(Path dir) {
    Path kernel = dir.resolve("vmlinuz");
    Path initramfs = dir.resolve("initramfs.cpio.gz");
    if (!Files.isRegularFile(kernel) || !Files.isRegularFile(initramfs)) {
      throw new IllegalArgumentException("not a guest image (needs vmlinuz and initramfs.cpio.gz): " + dir);
    }
    String dirName = dir.getFileName().toString();
    int dash = dirName.lastIndexOf('-');
    String runtime = dash > 0 ? dirName.substring(0, dash) : dirName;
    String cmdline = DEFAULT_CMDLINE;
    Path manifest = dir.resolve("manifest.json");
    if (Files.isRegularFile(manifest)) {
      try {
        JsonNode m = new ObjectMapper().readTree(manifest.toFile());
        runtime = m.path("runtime").asText(runtime);
        cmdline = m.path("cmdline").asText(cmdline);
      } catch (IOException e) {
        throw new UncheckedIOException("unreadable manifest " + manifest, e);
      }
    }
    return of(runtime, kernel, initramfs, cmdline);
  }

  static String sha256(Path file) {
    try (InputStream in = new DigestInputStream(Files.newInputStream(file), MessageDigest.getInstance("SHA-256"))) {
      byte[] buf = new byte[1 << 16];
      while (in.read(buf) >= 0) {
        // digesting
      }
      return HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot hash " + file, e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}

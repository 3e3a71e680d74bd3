package dev.faaster.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CodeSharesTest {

  @TempDir Path dir;

  @Test
  void linksTheTreeInsteadOfCopyingAndHoldsOnePackageAtATime() throws Exception {
    Path tree = Files.createDirectories(dir.resolve("trees/abc"));
    Files.createDirectories(tree.resolve("lib"));
    Files.writeString(tree.resolve("bootstrap"), "#!/bin/sh\n");
    Files.writeString(tree.resolve("lib/data.txt"), "data");
    Path share = dir.resolve("shares/faaster-c-1");
    CodeShares.create(share);

    assertThat(CodeShares.link(share, "old", tree)).isEqualTo("old");
    assertThat(CodeShares.link(share, "abc", tree)).isEqualTo("abc");
    Files.writeString(share.resolve("abc/marker"), "the guest may be reading this directory");
    assertThat(CodeShares.link(share, "abc", tree)).as("a retried load").isEqualTo("abc");
    assertThat(share.resolve("abc/marker")).as("left as it was, not linked again").exists();
    Files.delete(share.resolve("abc/marker"));

    assertThat(Files.readString(share.resolve("abc/lib/data.txt"))).isEqualTo("data");
    assertThat(Files.isSameFile(share.resolve("abc/bootstrap"), tree.resolve("bootstrap"))).isTrue();
    assertThat(Files.getAttribute(tree.resolve("lib/data.txt"), "unix:nlink")).as("one link: the share's").isEqualTo(2);
    try (Stream<Path> held = Files.list(share)) {
      assertThat(held).extracting(p -> p.getFileName().toString()).containsExactly("abc");
    }

    CodeShares.delete(share);
    assertThat(share).doesNotExist();
    assertThat(Files.readString(tree.resolve("lib/data.txt"))).as("deleting a share leaves the tree").isEqualTo("data");
    assertThatThrownBy(() -> CodeShares.link(share, "../escape", tree)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void unpacksThePlaceholderWithAnExecutableBootstrap() throws Exception {
    byte[] zip = CodePackage.bootstrap("#!/bin/sh\necho '{}'\n");
    Path share = dir.resolve("share");
    CodeShares.unpack(share, "warmup", zip);
    assertThat(Files.getPosixFilePermissions(share.resolve("warmup/bootstrap")))
        .contains(PosixFilePermission.OWNER_EXECUTE).doesNotContain(PosixFilePermission.OWNER_WRITE);
    assertThat(Files.readString(share.resolve("warmup/bootstrap"))).contains("echo");
  }
}

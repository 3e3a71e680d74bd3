package dev.faaster.packagestore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

class PackageKeysTest {

  /** sha256("abc"), FIPS 180-2 appendix B.1. */
  private static final String ABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

  @Test
  void sha256MatchesTheStandardVector() {
    assertThat(Sha256.hex("abc".getBytes(StandardCharsets.US_ASCII))).isEqualTo(ABC);
  }

  @Test
  void publishedKeyIsAddressedByContent() {
    assertThat(PackageKeys.contentAddressed(ABC)).isEqualTo("packages/sha256/" + ABC + ".zip");
  }

  @Test
  void stagingKeyIsPrivateToTheFunction() {
    assertThat(PackageKeys.staging("t1", "f1", ABC)).isEqualTo("staging/t1/f1/" + ABC + ".zip");
  }

  @ParameterizedTest
  @NullSource
  @ValueSource(
      strings = {
        "",
        "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD",
        "ba7816bf",
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad0",
        "../../../../etc/passwd00000000000000000000000000000000000000000000"
      })
  void onlyALowercaseHexDigestMakesAKey(String notADigest) {
    assertThat(PackageKeys.isDigest(notADigest)).isFalse();
    assertThatThrownBy(() -> PackageKeys.contentAddressed(notADigest)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> PackageKeys.staging("t", "f", notADigest)).isInstanceOf(IllegalArgumentException.class);
  }
}

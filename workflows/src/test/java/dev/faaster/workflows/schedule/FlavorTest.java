package dev.faaster.workflows.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class FlavorTest {

  @ParameterizedTest
  @CsvSource({"1,128", "128,128", "129,256", "256,256", "300,512", "512,512", "513,1024", "1024,1024"})
  void flavorForIsTheSmallestThatHoldsTheMemory(int memoryMb, int flavorMb) {
    assertThat(Flavor.flavorFor(memoryMb).memoryMb()).isEqualTo(flavorMb);
  }

  @Test
  void memoryAboveTheLargestFlavorIsRefusedNamingTheFlavors() {
    assertThatThrownBy(() -> Flavor.flavorFor(1025))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("1025 MiB exceeds the largest flavor (1024 MiB)")
        .hasMessageContaining("[128, 256, 512, 1024]");
  }

  @ParameterizedTest
  @ValueSource(ints = {0, -128})
  void memoryThatIsNotPositiveIsRefused(int memoryMb) {
    assertThatThrownBy(() -> Flavor.flavorFor(memoryMb)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("positive");
  }

  @Test
  void flavorsDoubleFromOneToTheNext() {
    assertThat(Flavor.MB_128.half()).isNull();
    assertThat(Flavor.MB_1024.twice()).isNull();
    for (Flavor flavor : Flavor.ASCENDING) {
      if (flavor.twice() != null) {
        assertThat(flavor.twice().memoryMb()).isEqualTo(2 * flavor.memoryMb());
        assertThat(flavor.twice().half()).isEqualTo(flavor);
      }
    }
    assertThat(Flavor.DESCENDING).containsExactly(Flavor.MB_1024, Flavor.MB_512, Flavor.MB_256, Flavor.MB_128);
  }

  @Test
  void onlyExactSizesNameAFlavor() {
    assertThat(Flavor.ofExactly(512)).isEqualTo(Flavor.MB_512);
    assertThatThrownBy(() -> Flavor.ofExactly(300)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("300");
  }
}

package dev.faaster.api.invoke;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.faaster.api.aliases.RoutingEntry;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class VersionChooserTest {

  static final List<RoutingEntry> NINETY_TEN = List.of(new RoutingEntry(1, 90), new RoutingEntry(2, 10));

  @Test
  void ninetyTenSplitRoutesWithinTwoPointsOverTenThousandDraws() {
    Random random = new Random(20261129L);
    int second = 0;
    for (int i = 0; i < 10_000; i++) {
      if (VersionChooser.choose(NINETY_TEN, random.nextDouble()) == 2) {
        second++;
      }
    }

    assertThat(second / 100.0).isBetween(8.0, 12.0);
  }

  @Test
  void eachVersionOwnsItsShareOfTheDrawRange() {
    assertThat(VersionChooser.choose(NINETY_TEN, 0.0)).isEqualTo(1);
    assertThat(VersionChooser.choose(NINETY_TEN, 0.8999)).isEqualTo(1);
    assertThat(VersionChooser.choose(NINETY_TEN, 0.9)).isEqualTo(2);
    assertThat(VersionChooser.choose(NINETY_TEN, Math.nextDown(1.0))).isEqualTo(2);
  }

  @Test
  void singleVersionTakesEveryDraw() {
    List<RoutingEntry> all = List.of(new RoutingEntry(7, 100));

    assertThat(VersionChooser.choose(all, 0.0)).isEqualTo(7);
    assertThat(VersionChooser.choose(all, Math.nextDown(1.0))).isEqualTo(7);
  }

  @Test
  void drawOutsideTheUnitIntervalIsRefused() {
    assertThatThrownBy(() -> VersionChooser.choose(NINETY_TEN, 1.0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> VersionChooser.choose(NINETY_TEN, -0.1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> VersionChooser.choose(List.of(), 0.5)).isInstanceOf(IllegalArgumentException.class);
  }
}

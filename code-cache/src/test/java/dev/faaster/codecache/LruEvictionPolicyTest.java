package dev.faaster.codecache;

import static org.assertj.core.api.Assertions.assertThat;

import dev.faaster.codecache.LruEvictionPolicy.Candidate;
import dev.faaster.codecache.LruEvictionPolicy.Decision;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class LruEvictionPolicyTest {

  private static final long MB = 1 << 20;

  private final LruEvictionPolicy policy = new LruEvictionPolicy();
  private final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));

  @Test
  void nothingIsEvictedWhileTheNewEntryFits() {
    List<Candidate> entries = List.of(used("a", 3 * MB, ago(Duration.ofHours(1))), used("b", 3 * MB, now()));

    Decision decision = policy.decide(entries, 10 * MB, 4 * MB, now(), Duration.ZERO);

    assertThat(decision.evict()).isEmpty();
    assertThat(decision.fits()).isTrue();
    assertThat(decision.bytesAfter()).isEqualTo(10 * MB);
  }

  @Test
  void evictsTheLeastRecentlyUsedFirstUntilTheNewEntryFits() {
    Candidate oldest = used("a", 3 * MB, now());
    clock.advance(Duration.ofMinutes(1));
    Candidate middle = used("b", 3 * MB, now());
    clock.advance(Duration.ofMinutes(1));
    Candidate newest = used("c", 3 * MB, now());
    clock.advance(Duration.ofMinutes(1));

    Decision decision = policy.decide(List.of(newest, oldest, middle), 10 * MB, 5 * MB, now(), Duration.ZERO);

    assertThat(decision.evict()).containsExactly("a", "b");
    assertThat(decision.fits()).isTrue();
    assertThat(decision.bytesAfter()).isEqualTo(8 * MB);
  }

  @Test
  void neverEvictsAnEntryInUse() {
    Candidate oldestInUse = new Candidate("a", 6 * MB, ago(Duration.ofDays(3)), 1);
    Candidate idle = used("b", 3 * MB, now());

    Decision decision = policy.decide(List.of(oldestInUse, idle), 10 * MB, 2 * MB, now(), Duration.ZERO);

    assertThat(decision.evict()).containsExactly("b");
    assertThat(decision.fits()).isTrue();
  }

  @Test
  void entriesInUseThatLeaveNoRoomAreReportedAsNoFit() {
    Candidate inUse = new Candidate("a", 8 * MB, ago(Duration.ofDays(1)), 2);
    Candidate idle = used("b", 1 * MB, ago(Duration.ofMinutes(5)));

    Decision decision = policy.decide(List.of(inUse, idle), 10 * MB, 4 * MB, now(), Duration.ZERO);

    assertThat(decision.fits()).isFalse();
    assertThat(decision.evict()).as("everything that may go, for a caller that overshoots").containsExactly("b");
    assertThat(decision.bytesAfter()).isEqualTo(12 * MB);
  }

  @Test
  void aSpeculativeFillSparesEntriesUsedWithinTheProtectionWindowUntilTheWindowPasses() {
    Candidate recent = used("a", 6 * MB, now());
    Duration protect = Duration.ofMinutes(10);

    clock.advance(Duration.ofMinutes(9));
    Decision early = policy.decide(List.of(recent), 10 * MB, 6 * MB, now(), protect);
    clock.advance(Duration.ofMinutes(2));
    Decision late = policy.decide(List.of(recent), 10 * MB, 6 * MB, now(), protect);

    assertThat(early.fits()).isFalse();
    assertThat(early.evict()).isEmpty();
    assertThat(late.fits()).isTrue();
    assertThat(late.evict()).containsExactly("a");
  }

  @Test
  void equallyOldEntriesAreEvictedInDigestOrder() {
    Instant same = now();
    List<Candidate> entries = List.of(used("c", MB, same), used("a", MB, same), used("b", MB, same));

    Decision decision = policy.decide(entries, 3 * MB, 2 * MB, now(), Duration.ZERO);

    assertThat(decision.evict()).containsExactly("a", "b");
  }

  @Test
  void anEntryLargerThanTheBoundEvictsEverythingIdleAndReportsNoFit() {
    List<Candidate> entries = List.of(used("a", MB, now()), new Candidate("b", MB, now(), 1));

    Decision decision = policy.decide(entries, 4 * MB, 5 * MB, now(), Duration.ZERO);

    assertThat(decision.fits()).isFalse();
    assertThat(decision.evict()).containsExactly("a");
  }

  private Instant now() {
    return clock.instant();
  }

  private Instant ago(Duration duration) {
    return clock.instant().minus(duration);
  }

  private static Candidate used(String digest, long size, Instant lastUsed) {
    return new Candidate(digest, size, lastUsed, 0);
  }
}

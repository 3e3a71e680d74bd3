package dev.faaster.activities;

import io.micronaut.context.annotation.Factory;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.time.Duration;

/** The wall clock, injectable so tests can drive time. */
@Factory
public class ClockFactory {

  /** Millisecond ticks: the registry stores DATETIME(3), so answers show what a read returns. */
  @Singleton
  Clock clock() {
    return Clock.tick(Clock.systemUTC(), Duration.ofMillis(1));
  }
}

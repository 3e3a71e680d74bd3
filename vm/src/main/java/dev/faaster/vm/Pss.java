package dev.faaster.vm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * Proportional set size of a process: its private pages plus its share of pages it maps together
 * with others. For clones of one template the shared, never-written guest RAM is split between
 * them, which is what copy-on-write templates save.
 */
public final class Pss {

  private Pss() {}

  /** PSS of {@code pid} in KiB from /proc/PID/smaps_rollup, empty if the process is gone. */
  public static OptionalLong kib(long pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "smaps_rollup"))) {
        if (line.startsWith("Pss:")) {
          return OptionalLong.of(Long.parseLong(line.substring(4).trim().split("\\s+")[0]));
        }
      }
      return OptionalLong.empty();
    } catch (IOException | NumberFormatException e) {
      return OptionalLong.empty();
    }
  }
}

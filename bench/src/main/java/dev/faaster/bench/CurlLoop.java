package dev.faaster.bench;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Invocations sent back to back by curl, a client in its own process on one keep-alive connection,
 * as a user's would be: the time measured is the platform's, not that of an HTTP client sharing the
 * platform's JVM (the JDK's client adds several thread hand-offs per request, milliseconds on two
 * cores). curl reports each request's time from sending to the whole answer read.
 */
final class CurlLoop {

  /** One answer: status, curl's time_total in ms, and the invocation headers that qualify it. */
  record Answer(int status, double millis, boolean cold, boolean functionError, String serverTiming) {}

  private CurlLoop() {}

  /**
   * POSTs {@code event} to {@code url} {@code count} times in a row.
   *
   * @throws IllegalStateException when curl fails or answers fewer requests than sent
   */
  static List<Answer> post(URI url, String token, String event, int count, Path workDir)
      throws IOException, InterruptedException {
    // The token goes in a file only this user reads, not on a command line others can list.
    Path config = Files.createTempFile(workDir, "curl-", ".conf",
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    try {
      StringBuilder c = new StringBuilder();
      for (int i = 0; i < count; i++) {
        c.append("url = \"").append(url).append("\"\n")
            .append("request = \"POST\"\n")
            .append("header = \"Authorization: Bearer ").append(token).append("\"\n")
            .append("header = \"Content-Type: application/json\"\n")
            .append("data = \"").append(event.replace("\\", "\\\\").replace("\"", "\\\"")).append("\"\n")
            .append("output = \"/dev/null\"\n")
            // Tab-separated: Server-Timing has spaces of its own.
            .append("write-out = \"%{http_code}\\t%{time_total}\\t%header{x-faaster-cold-start}"
                + "\\t%header{x-faaster-function-error}\\t%header{server-timing}\\n\"\n");
        if (i < count - 1) {
          c.append("next\n");
        }
      }
      Files.writeString(config, c);
      Process curl = new ProcessBuilder("curl", "--silent", "--show-error", "--config", config.toString())
          .redirectError(ProcessBuilder.Redirect.INHERIT)
          .start();
      String out = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!curl.waitFor(10, TimeUnit.MINUTES) || curl.exitValue() != 0) {
        throw new IllegalStateException("curl failed (exit " + (curl.isAlive() ? "none" : curl.exitValue()) + ")");
      }
      List<Answer> answers = new ArrayList<>(count);
      for (String line : out.split("\n")) {
        if (line.isBlank()) {
          continue;
        }
        String[] f = line.split("\t", -1);
        answers.add(new Answer(Integer.parseInt(f[0].trim()), Double.parseDouble(f[1]) * 1000,
            f.length > 2 && "true".equals(f[2]), f.length > 3 && !f[3].isEmpty(), f.length > 4 ? f[4] : ""));
      }
      if (answers.size() != count) {
        throw new IllegalStateException("curl answered " + answers.size() + " of " + count + " requests");
      }
      return answers;
    } finally {
      Files.deleteIfExists(config);
    }
  }
}

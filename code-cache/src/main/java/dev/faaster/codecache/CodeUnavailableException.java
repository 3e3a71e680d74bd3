package dev.faaster.codecache;

import java.util.List;
import java.util.stream.Collectors;

/**
 * No tier delivered a verified copy of a package. Names every tier asked and why it failed, in the
 * order they were asked.
 */
public final class CodeUnavailableException extends RuntimeException {

  private final String sha256;
  private final List<TierFailure> failures;

  public CodeUnavailableException(String sha256, List<TierFailure> failures) {
    this(sha256, failures, null);
  }

  /** A copy for a caller that joined someone else's failed fetch, with the original as cause. */
  CodeUnavailableException(CodeUnavailableException original) {
    this(original.sha256, original.failures, original);
  }

  private CodeUnavailableException(String sha256, List<TierFailure> failures, Throwable cause) {
    super(
        "code package " + sha256 + " is unavailable: "
            + failures.stream().map(TierFailure::toString).collect(Collectors.joining("; ")),
        cause);
    this.sha256 = sha256;
    this.failures = List.copyOf(failures);
  }

  public String sha256() {
    return sha256;
  }

  public List<TierFailure> failures() {
    return failures;
  }

  /**
   * True when retrying can't help: a tier refused the tenant this digest. Everything else (not
   * found, corrupt, unreachable) may heal, so it's worth a bounded retry.
   */
  public boolean permanent() {
    return failures.stream().anyMatch(f -> f.reason() == TierFailure.Reason.DENIED);
  }
}

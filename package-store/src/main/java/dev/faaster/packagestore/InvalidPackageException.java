package dev.faaster.packagestore;

/** A package that must not be stored or run, with the reason as a stable code and a sentence. */
public final class InvalidPackageException extends Exception {

  private final PackageProblem problem;

  public InvalidPackageException(PackageProblem problem, String message) {
    super(message);
    this.problem = problem;
  }

  public PackageProblem problem() {
    return problem;
  }
}

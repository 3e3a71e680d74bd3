package dev.faaster.workflows.coldstart;

/** Non-retryable failure types of the cold start the router maps to answers. */
public final class ColdStartFailureTypes {

  /** No free slot of the flavor on any live node: the router answers 429 / 503. */
  public static final String NO_CAPACITY = "NoCapacity";

  /** The function's memory is larger than the largest standard flavor: no slot can ever hold it. */
  public static final String UNSUPPORTED_MEMORY = "UnsupportedMemory";

  /** The guest refused the code (bad package, handler not found): a function error, not retried. */
  public static final String CODE_LOAD_FAILED = "CodeLoadFailed";

  /** A placed cold start started on another queue than its slot's node's: a caller's bug. */
  public static final String MISPLACED = "Misplaced";

  private ColdStartFailureTypes() {}
}

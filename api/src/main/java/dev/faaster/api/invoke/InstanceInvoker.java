package dev.faaster.api.invoke;

import dev.faaster.workflows.coldstart.ColdStartResult;
import java.time.Duration;

/** Runs one invocation on a ready instance: the warm path, with no Temporal in it. */
public interface InstanceInvoker {

  /**
   * Sends the event and waits for the function's answer. Never throws for what happened in the
   * guest: a function error, a timeout and a lost instance are outcomes.
   *
   * @param timeout the function's timeout, enforced by the guest
   * @param invocationId unique per invocation, handed to the function
   */
  InvocationOutcome invoke(ColdStartResult instance, byte[] event, Duration timeout, String invocationId);

  /**
   * Whether the instance's guest still answers as that instance: a guest that crashed, or rebooted
   * (its agent no longer knows its identity or code), does not. A node that can't be asked counts
   * as healthy here: invocations find out and answer for it.
   */
  boolean healthy(ColdStartResult instance, Duration timeout);

  /** Forgets an instance that was retired (closes whatever connection to it is open). */
  void discard(String instanceId);
}

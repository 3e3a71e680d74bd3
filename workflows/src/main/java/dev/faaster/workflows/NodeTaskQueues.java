package dev.faaster.workflows;

/**
 * Per-node task queues. Work on a VM or on files under a node's /dev/shm must run on that node,
 * so its activities go to the queue only that node's agent polls.
 */
public final class NodeTaskQueues {

  private static final String PREFIX = "faaster-node-";

  private NodeTaskQueues() {}

  public static String of(String nodeId) {
    return PREFIX + nodeId;
  }
}

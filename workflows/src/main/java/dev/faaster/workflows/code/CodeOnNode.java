package dev.faaster.workflows.code;

/**
 * A package ready on the node, held for one instance until released.
 *
 * @param path where the instance reads it in place (no copy per instance)
 * @param sizeBytes package size
 * @param source the tier that served it: l1, l2 or origin
 * @param millis time until usable: the cold start's code stage
 */
public record CodeOnNode(String path, long sizeBytes, String source, long millis) {}

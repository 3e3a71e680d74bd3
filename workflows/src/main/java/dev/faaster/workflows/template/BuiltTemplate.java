package dev.faaster.workflows.template;

/**
 * The files of a saved template on its node.
 *
 * @param memoryPath the file-backed guest memory clones map copy-on-write
 * @param statePath the device state (x-ignore-shared migration stream)
 * @param stateBytes size of the device state
 * @param bootMillis base VM start to its agent's READY
 * @param saveMillis pause to state saved
 */
public record BuiltTemplate(String memoryPath, String statePath, long stateBytes, long bootMillis, long saveMillis) {}

package dev.faaster.workflows.coldstart;

/**
 * Where a provisioning batch's time went, in milliseconds of workflow time (each includes its
 * activities' dispatch). The batch's nodes work concurrently, so each node stage is the slowest
 * node's; VM, code and network run concurrently on each node, as in a cold start.
 *
 * @param scheduleMillis taking every slot (one call)
 * @param vmMillis the node's template lookup, then restoring (or booting) the VMs
 * @param codeMillis until the package was usable on the node for every instance
 * @param networkMillis attaching every instance's proxy routes
 * @param loadMillis loading the code into the guests
 * @param undoMillis undoing the failed instances' steps and freeing their slots (0 when none failed)
 * @param totalMillis workflow start to the result
 */
public record ProvisionStages(
    long scheduleMillis,
    long vmMillis,
    long codeMillis,
    long networkMillis,
    long loadMillis,
    long undoMillis,
    long totalMillis) {}

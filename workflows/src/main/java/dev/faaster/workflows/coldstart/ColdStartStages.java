package dev.faaster.workflows.coldstart;

/**
 * Where a cold start's time went, in milliseconds of workflow time (each includes its activity's
 * dispatch, none for a placed cold start's local steps). VM, code and network run concurrently
 * (the seed's stages), so {@code totalMillis} is less than their sum.
 *
 * @param scheduleMillis taking a slot (for a placed cold start: the caller's reservation, before
 *     the workflow started, and counted in the total)
 * @param vmMillis restoring (or booting) the VM until its agent answered with the new identity
 * @param codeMillis until the package was usable on the node
 * @param networkMillis attaching the proxy routes
 * @param loadMillis loading the code into the guest
 * @param totalMillis workflow start (or the placed cold start's reservation) to ready
 */
public record ColdStartStages(
    long scheduleMillis, long vmMillis, long codeMillis, long networkMillis, long loadMillis, long totalMillis) {}

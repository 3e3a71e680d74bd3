/**
 * The lightweight scheduler (the seed's §3.1.1): fixed flavors, every node's capacity cut into
 * slots ahead of time, placement by taking a free slot of the flavor, no filtering or scoring on the
 * request path. The policy classes are pure (time is passed in); {@link
 * dev.faaster.workflows.schedule.SlotActivities} is how workflows reach the recorded slots.
 */
package dev.faaster.workflows.schedule;

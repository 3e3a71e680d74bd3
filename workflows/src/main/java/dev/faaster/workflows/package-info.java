/**
 * Workflow and activity contracts, and the deterministic code that decides what happens next in
 * every lifecycle. Nothing here performs I/O: the build bans JDBC, S3 and libvirt from this module.
 */
package dev.faaster.workflows;

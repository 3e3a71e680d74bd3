/**
 * Decides what the zone cache holds on disk: fills from the origin (verified, atomic, one fetch per
 * digest however many ask), re-verifies after a restart, and evicts inactive versions first.
 */
package dev.faaster.zonecache.store;

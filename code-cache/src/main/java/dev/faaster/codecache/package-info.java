/**
 * Decides where a node gets a code package from: its own disk (L1), the zone cache (L2) or the
 * origin store, each copy checked against the package's sha256 before anyone runs it.
 */
package dev.faaster.codecache;

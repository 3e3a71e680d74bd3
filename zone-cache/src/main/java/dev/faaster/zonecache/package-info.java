/**
 * The L2 zone cache: one process per zone holding the zone's code packages on disk and serving
 * them to its nodes by digest, for the tenants that own them.
 */
package dev.faaster.zonecache;

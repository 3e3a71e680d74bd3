/**
 * The zone cache's HTTP contract: who may fetch which package (node token, owning tenant), and how
 * its bytes go out (whole, one range, or not at all).
 */
package dev.faaster.zonecache.http;

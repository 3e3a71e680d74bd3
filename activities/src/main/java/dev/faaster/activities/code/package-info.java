/** Code on the node: the L1 cache's leases behind the cold start's code step. */
package dev.faaster.activities.code;

/** Proxy route steps of the cold start, on the node that runs the instance. */
package dev.faaster.activities.route;

/** Node-side VM activities: templates and instances on this node's hypervisor, and their reconciler. */
package dev.faaster.activities.vm;

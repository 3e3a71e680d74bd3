/** Proxy routes of an instance: how its traffic reaches the tenant's VPC (the net proxy issue). */
package dev.faaster.workflows.route;

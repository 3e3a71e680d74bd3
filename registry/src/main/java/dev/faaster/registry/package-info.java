/** Decides what exists: tenants, their tokens, functions, versions, aliases and deployments. */
package dev.faaster.registry;

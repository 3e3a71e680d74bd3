/** Contracts for creating and destroying micro VM instances on the node that runs them. */
package dev.faaster.workflows.instance;

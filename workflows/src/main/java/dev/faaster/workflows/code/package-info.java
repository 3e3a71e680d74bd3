/** Contracts for getting a function's code package onto the node that runs it. */
package dev.faaster.workflows.code;

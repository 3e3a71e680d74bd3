/**
 * A node's data plane: the HTTP endpoint through which API processes elsewhere invoke the node's
 * instances (only the node's process holds their agents' connections), and the publishing of its
 * address in the registry.
 */
package dev.faaster.api.node;

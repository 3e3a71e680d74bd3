/**
 * Decides how a function instance becomes a running micro VM: the libvirt domain of a template
 * booted once and saved with its memory in a shared file, and the clones restored from it
 * copy-on-write, each with its own name, UUID and MAC, answering through the guest agent.
 */
package dev.faaster.vm;

/** The Temporal worker: which workflows and activities this process serves, on which task queues. */
package dev.faaster.worker;

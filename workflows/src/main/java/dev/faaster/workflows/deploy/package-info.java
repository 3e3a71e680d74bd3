/** Decides the steps of a deploy (verify, store, record, warm) and how a failed deploy is undone. */
package dev.faaster.workflows.deploy;

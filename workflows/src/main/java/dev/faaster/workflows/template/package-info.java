/** Decides when a runtime's template is built, reused or rebuilt, and how a failed build is undone. */
package dev.faaster.workflows.template;

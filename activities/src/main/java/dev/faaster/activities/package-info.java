/** Activity implementations: every side effect a workflow asks for happens here. */
package dev.faaster.activities;

/** Measures the promises of SPECIFICATION.md on the real platform, side by side in one run. */
package dev.faaster.bench;

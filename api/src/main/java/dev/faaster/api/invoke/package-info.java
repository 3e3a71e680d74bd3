/**
 * The invocation path's front half: which version an invocation runs (qualifier, alias weights),
 * whether it may run now (the function's concurrency limit), and on which instance (a warm one with
 * free capacity, one already starting, or a new cold start); then the instance's fate afterwards
 * (kept warm, reaped when idle, retired after a timeout or crash).
 */
package dev.faaster.api.invoke;

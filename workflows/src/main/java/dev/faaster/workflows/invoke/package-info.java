/**
 * Asynchronous invocations: one {@link dev.faaster.workflows.invoke.AsyncInvocationWorkflow} per
 * accepted event runs it through an api process's router (an activity on {@link
 * dev.faaster.workflows.TaskQueues#INVOKE}), retries a failed attempt as Lambda does for events, and
 * keeps the outcome as its result, where the API reads it.
 */
package dev.faaster.workflows.invoke;

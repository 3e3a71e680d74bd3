package dev.faaster.api.it;

/**
 * A tenant created through the admin API, with a token to act for it.
 *
 * @param id the registry id (part of every deploy workflow id)
 * @param name unique per test run: the Temporal dev server's one namespace outlives runs
 * @param token bearer secret of a tenant token
 */
record TestTenant(String id, String name, String token) {}

package dev.faaster.api.functions;

/** Published once a function's rows are gone, so whatever runs its code can let go of it. */
public record FunctionDeleted(String tenantId, String functionId, String name) {}

package dev.faaster.worker;

import io.micronaut.context.annotation.ConfigurationProperties;

/**
 * Where Temporal is.
 *
 * @param address host:port of the frontend gRPC service
 * @param namespace namespace all faaster workflows run in
 * @param uiUrl the Web UI, for links printed to operators
 */
@ConfigurationProperties("faaster.temporal")
public record TemporalConfiguration(String address, String namespace, String uiUrl) {}

package dev.faaster.packagestore;

import java.net.URI;

/** The S3 endpoint the platform talks to: configured, or the embedded store's. */
public record ObjectStoreEndpoint(URI uri) {}

package dev.faaster.zonecache.http;

import dev.faaster.zonecache.store.CachedPackage;

/**
 * A response body: {@code length} bytes of an open package from {@code start}. Written by
 * {@link PackageBodyWriter}, which closes the package when the body is done.
 *
 * @param pkg the open package
 * @param start first byte
 * @param length bytes to send
 */
public record PackageBody(CachedPackage pkg, long start, long length) {}

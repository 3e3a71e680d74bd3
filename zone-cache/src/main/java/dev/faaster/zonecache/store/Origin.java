package dev.faaster.zonecache.store;

import java.io.InputStream;

/** Where the zone cache gets a package it doesn't hold (the S3 origin); owned by the cache. */
public interface Origin {

  /**
   * The bytes stored for a digest, unverified: the caller hashes them before trusting them.
   *
   * @param sha256 lowercase hex digest
   * @return a stream the caller closes
   * @throws PackageUnavailableException {@code NOT_AT_ORIGIN} when there is no such object,
   *     {@code ORIGIN_UNAVAILABLE} when the origin can't answer
   */
  InputStream open(String sha256) throws PackageUnavailableException;

  /** Where the origin is, for error messages and health: "s3 http://host:9000 bucket faaster-code". */
  String describe();
}

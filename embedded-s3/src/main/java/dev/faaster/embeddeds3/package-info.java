/** Runs S3Proxy on loopback with a filesystem backend: the object store of a one-machine faaster. */
package dev.faaster.embeddeds3;

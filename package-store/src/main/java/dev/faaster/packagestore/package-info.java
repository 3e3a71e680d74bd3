/**
 * Decides whether a code package is safe to run and where its bytes live: the content-addressed
 * origin store on an S3 API.
 */
package dev.faaster.packagestore;

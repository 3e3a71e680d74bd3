package dev.faaster.zonecache;

import io.micronaut.runtime.Micronaut;
import java.util.TimeZone;

/** The L2 zone cache process: serves the zone's nodes code packages by digest, from disk or the origin. */
public class ZoneCacheApplication {

  public static void main(String[] args) {
    // Timestamps go to the database as local date-times; every process must agree on the zone.
    TimeZone.setDefault(TimeZone.getTimeZone("UTC"));
    Micronaut.build(args).mainClass(ZoneCacheApplication.class).banner(false).start();
  }
}

package dev.faaster.api.objectstore;

import dev.faaster.packagestore.PackageStore;
import io.micronaut.context.event.StartupEvent;
import io.micronaut.runtime.event.annotation.EventListener;
import jakarta.inject.Singleton;

/** Creates the code bucket at start, so the first upload doesn't have to. */
@Singleton
public class BucketInitializer {

  private final PackageStore store;

  public BucketInitializer(PackageStore store) {
    this.store = store;
  }

  @EventListener
  void onStartup(StartupEvent event) {
    store.ensureBucket();
  }
}

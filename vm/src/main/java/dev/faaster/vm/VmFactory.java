package dev.faaster.vm;

import io.micronaut.context.annotation.Bean;
import io.micronaut.context.annotation.Factory;
import jakarta.inject.Singleton;

/** The libvirt connection every VM bean shares, closed with the application context. */
@Factory
public class VmFactory {

  @Singleton
  @Bean(preDestroy = "close")
  Hypervisor hypervisor(VmSettings settings) {
    return LibvirtHypervisor.connect(settings.uri());
  }
}

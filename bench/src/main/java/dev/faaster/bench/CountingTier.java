package dev.faaster.bench;

import dev.faaster.codecache.CodeTier;
import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/** A tier that counts the requests (GETs) the node cache sends to the tier it wraps. */
final class CountingTier implements CodeTier {

  private final CodeTier tier;
  private final AtomicInteger opens = new AtomicInteger();

  CountingTier(CodeTier tier) {
    this.tier = tier;
  }

  @Override
  public String name() {
    return tier.name();
  }

  @Override
  public Optional<InputStream> open(String tenantId, String sha256) throws IOException {
    opens.incrementAndGet();
    return tier.open(tenantId, sha256);
  }

  int opens() {
    return opens.get();
  }
}

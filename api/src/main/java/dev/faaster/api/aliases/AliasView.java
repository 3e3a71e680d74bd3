package dev.faaster.api.aliases;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.serde.annotation.Serdeable;
import java.time.Instant;
import java.util.List;

/** An alias and how it splits traffic. */
@Serdeable
public record AliasView(String name, List<RoutingEntry> routing, @Nullable String description, Instant createdAt, Instant updatedAt) {}

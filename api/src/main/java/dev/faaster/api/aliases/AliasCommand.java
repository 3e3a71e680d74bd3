package dev.faaster.api.aliases;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.serde.annotation.Serdeable;
import java.util.List;

/**
 * Creates or repoints an alias. Give either {@code version} (all traffic) or {@code routing}: one or
 * two versions whose weights add up to 100.
 *
 * @param name the alias name (create only; the path names it on update)
 */
@Serdeable
public record AliasCommand(
    @Nullable String name, @Nullable Integer version, @Nullable List<RoutingEntry> routing, @Nullable String description) {}

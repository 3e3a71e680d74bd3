package dev.faaster.api.functions;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.serde.annotation.Serdeable;
import java.util.List;

/**
 * One page of functions in name order.
 *
 * @param nextCursor pass as {@code cursor} to get the next page; null on the last page
 */
@Serdeable
public record FunctionPage(List<FunctionView> functions, @Nullable String nextCursor) {}

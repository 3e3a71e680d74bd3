package dev.faaster.api.invoke;

import dev.faaster.api.error.ApiException;
import dev.faaster.api.error.ErrorCode;
import dev.faaster.api.functions.FunctionService;
import dev.faaster.registry.FunctionRecord;
import dev.faaster.registry.FunctionRepository;
import io.micronaut.core.annotation.Nullable;
import jakarta.inject.Singleton;
import java.time.Clock;

/** Reserved concurrency: the most invocations of one function that run at once. */
@Singleton
public class ConcurrencyService {

  private final FunctionService functions;
  private final FunctionRepository repository;
  private final InvocationSettings settings;
  private final Clock clock;

  public ConcurrencyService(FunctionService functions, FunctionRepository repository, InvocationSettings settings, Clock clock) {
    this.functions = functions;
    this.repository = repository;
    this.settings = settings;
    this.clock = clock;
  }

  public ConcurrencyView get(String tenantId, String name) {
    return new ConcurrencyView(functions.require(tenantId, name).reservedConcurrency());
  }

  public ConcurrencyView put(String tenantId, String name, @Nullable ConcurrencyView command) {
    Integer reserved = command == null ? null : command.reservedConcurrentExecutions();
    if (reserved == null) {
      throw ApiException.badRequest(
          ErrorCode.INVALID_CONCURRENCY, "Give 'reservedConcurrentExecutions', 0 to " + settings.maxReservedConcurrency() + ".");
    }
    if (reserved < 0 || reserved > settings.maxReservedConcurrency()) {
      throw ApiException.badRequest(
          ErrorCode.INVALID_CONCURRENCY,
          "'reservedConcurrentExecutions' must be 0 to " + settings.maxReservedConcurrency() + ", not " + reserved + ".");
    }
    set(functions.require(tenantId, name), reserved);
    return new ConcurrencyView(reserved);
  }

  public void delete(String tenantId, String name) {
    FunctionRecord function = functions.require(tenantId, name);
    if (function.reservedConcurrency() != null) {
      set(function, null);
    }
  }

  private void set(FunctionRecord function, @Nullable Integer reserved) {
    if (repository.updateReservedConcurrency(function.id(), function.revision(), reserved, clock.instant()) == 0) {
      throw ApiException.conflict(
          ErrorCode.CONCURRENT_MODIFICATION, "'" + function.name() + "' was changed by another request at the same time; retry.");
    }
  }
}

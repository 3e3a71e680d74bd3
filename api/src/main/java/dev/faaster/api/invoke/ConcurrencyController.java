package dev.faaster.api.invoke;

import dev.faaster.api.ApiRole;
import dev.faaster.api.auth.Caller;
import io.micronaut.context.annotation.Requires;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Delete;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.Put;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;

/** A function's reserved concurrency. */
@Controller("/v1/functions/{name}/concurrency")
@ExecuteOn(TaskExecutors.BLOCKING)
@Requires(property = "faaster.roles", pattern = ApiRole.PATTERN)
@Tag(name = "invocations")
public class ConcurrencyController {

  private final ConcurrencyService concurrency;

  public ConcurrencyController(ConcurrencyService concurrency) {
    this.concurrency = concurrency;
  }

  @Operation(summary = "Get the function's reserved concurrency (null: the platform default limit applies)")
  @Get
  public ConcurrencyView get(Caller caller, String name) {
    return concurrency.get(caller.tenant(), name);
  }

  @Operation(
      summary = "Reserve concurrency: at most this many invocations at once (0 throttles every invocation)",
      description = "Invocations beyond it, counting those in flight, are answered 429.")
  @Put
  public ConcurrencyView put(Caller caller, String name, @Nullable @Body ConcurrencyView command) {
    return concurrency.put(caller.tenant(), name, command);
  }

  @Operation(summary = "Remove the reserved concurrency: the platform default limit applies again")
  @Delete
  public HttpResponse<Void> delete(Caller caller, String name) {
    concurrency.delete(caller.tenant(), name);
    return HttpResponse.noContent();
  }
}

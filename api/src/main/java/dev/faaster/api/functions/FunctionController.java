package dev.faaster.api.functions;

import dev.faaster.api.ApiRole;
import dev.faaster.api.auth.Caller;
import dev.faaster.registry.FunctionRecord;
import io.micronaut.context.annotation.Requires;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Delete;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.Patch;
import io.micronaut.http.annotation.Post;
import io.micronaut.http.annotation.QueryValue;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.net.URI;

/** The function registry: create, list, read, reconfigure and delete functions. */
@Controller("/v1/functions")
@ExecuteOn(TaskExecutors.BLOCKING)
@Requires(property = "faaster.roles", pattern = ApiRole.PATTERN)
@Tag(name = "functions")
public class FunctionController {

  private final FunctionService functions;

  public FunctionController(FunctionService functions) {
    this.functions = functions;
  }

  @Operation(summary = "Create a function")
  @Post
  public HttpResponse<FunctionView> create(Caller caller, @Body CreateFunctionCommand command) {
    FunctionRecord created = functions.create(caller.tenant(), command);
    return HttpResponse.created(functions.view(created), URI.create("/v1/functions/" + created.name()));
  }

  @Operation(summary = "List functions, in name order, a page at a time")
  @Get
  public FunctionPage list(Caller caller, @Nullable @QueryValue String cursor, @Nullable @QueryValue Integer limit) {
    return functions.list(caller.tenant(), cursor, limit == null ? 50 : limit);
  }

  @Operation(summary = "Get a function's $LATEST configuration")
  @Get("/{name}")
  public FunctionView get(Caller caller, String name) {
    return functions.view(functions.require(caller.tenant(), name));
  }

  @Operation(summary = "Change a function's configuration (absent fields are kept)")
  @Patch("/{name}")
  public FunctionView update(Caller caller, String name, @Body UpdateFunctionCommand command) {
    return functions.view(functions.update(caller.tenant(), name, command));
  }

  @Operation(summary = "Delete a function with its versions, aliases and code")
  @Delete("/{name}")
  public HttpResponse<Void> delete(Caller caller, String name) {
    functions.delete(caller.tenant(), name);
    return HttpResponse.noContent();
  }
}

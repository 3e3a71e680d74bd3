package dev.faaster.api.aliases;

import dev.faaster.api.ApiRole;
import dev.faaster.api.auth.Caller;
import dev.faaster.registry.Alias;
import io.micronaut.context.annotation.Requires;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Delete;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.Post;
import io.micronaut.http.annotation.Put;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.util.List;

/** Aliases of a function. */
@Controller("/v1/functions/{name}/aliases")
@ExecuteOn(TaskExecutors.BLOCKING)
@Requires(property = "faaster.roles", pattern = ApiRole.PATTERN)
@Tag(name = "aliases")
public class AliasController {

  private final AliasService aliases;

  public AliasController(AliasService aliases) {
    this.aliases = aliases;
  }

  @Operation(summary = "Create an alias pointing at one version or splitting between two")
  @Post
  public HttpResponse<AliasView> create(Caller caller, String name, @Body AliasCommand command) {
    Alias alias = aliases.create(caller.tenant(), name, command);
    return HttpResponse.created(aliases.view(alias), AliasService.location(name, alias.name()));
  }

  @Operation(summary = "List a function's aliases")
  @Get
  public List<AliasView> list(Caller caller, String name) {
    return aliases.list(caller.tenant(), name).stream().map(aliases::view).toList();
  }

  @Operation(summary = "Get an alias")
  @Get("/{alias}")
  public AliasView get(Caller caller, String name, String alias) {
    return aliases.view(aliases.get(caller.tenant(), name, alias));
  }

  @Operation(summary = "Repoint an alias")
  @Put("/{alias}")
  public AliasView update(Caller caller, String name, String alias, @Body AliasCommand command) {
    return aliases.view(aliases.update(caller.tenant(), name, alias, command));
  }

  @Operation(summary = "Delete an alias")
  @Delete("/{alias}")
  public HttpResponse<Void> delete(Caller caller, String name, String alias) {
    aliases.delete(caller.tenant(), name, alias);
    return HttpResponse.noContent();
  }
}

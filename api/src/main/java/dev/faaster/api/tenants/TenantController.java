package dev.faaster.api.tenants;

import dev.faaster.api.ApiRole;
import dev.faaster.api.Names;
import dev.faaster.api.auth.Caller;
import dev.faaster.api.auth.Tokens;
import dev.faaster.api.error.ApiException;
import dev.faaster.api.error.ErrorCode;
import dev.faaster.registry.ApiToken;
import dev.faaster.registry.ApiTokenRepository;
import dev.faaster.registry.Tenant;
import dev.faaster.registry.TenantRepository;
import io.micronaut.context.annotation.Requires;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.Post;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.net.URI;
import java.time.Clock;
import java.util.List;
import java.util.UUID;

/** Tenants and their tokens; admin only. */
@Controller("/v1/tenants")
@ExecuteOn(TaskExecutors.BLOCKING)
@Requires(property = "faaster.roles", pattern = ApiRole.PATTERN)
@Tag(name = "tenants")
public class TenantController {

  private final TenantRepository tenants;
  private final ApiTokenRepository tokens;
  private final Clock clock;

  public TenantController(TenantRepository tenants, ApiTokenRepository tokens, Clock clock) {
    this.tenants = tenants;
    this.tokens = tokens;
    this.clock = clock;
  }

  @Operation(summary = "Create a tenant (admin)")
  @Post
  public HttpResponse<TenantView> create(Caller caller, @Body CreateTenantCommand command) {
    caller.requireAdmin();
    String name = Names.tenant(command.name());
    if (tenants.existsByName(name)) {
      throw ApiException.conflict(ErrorCode.TENANT_EXISTS, "A tenant named '" + name + "' already exists.");
    }
    Tenant tenant = tenants.save(new Tenant(UUID.randomUUID().toString(), name, clock.instant()));
    return HttpResponse.created(TenantView.of(tenant), URI.create("/v1/tenants/" + tenant.id()));
  }

  @Operation(summary = "List tenants (admin)")
  @Get
  public List<TenantView> list(Caller caller) {
    caller.requireAdmin();
    return tenants.listOrderByName().stream().map(TenantView::of).toList();
  }

  @Operation(summary = "Get a tenant (admin)")
  @Get("/{tenantId}")
  public TenantView get(Caller caller, String tenantId) {
    caller.requireAdmin();
    return tenants.findById(tenantId).map(TenantView::of).orElseThrow(() -> noTenant(tenantId));
  }

  @Operation(summary = "Create an API token for a tenant (admin); the secret is returned once")
  @Post("/{tenantId}/tokens")
  public HttpResponse<TokenView> createToken(Caller caller, String tenantId, @Nullable @Body CreateTokenCommand command) {
    caller.requireAdmin();
    Tenant tenant = tenants.findById(tenantId).orElseThrow(() -> noTenant(tenantId));
    String description = command == null ? null : command.description();
    if (description != null && description.length() > 256) {
      throw ApiException.badRequest(ErrorCode.VALIDATION_FAILED, "The description is longer than 256 characters.");
    }
    String secret = Tokens.newSecret();
    ApiToken token =
        tokens.save(
            new ApiToken(UUID.randomUUID().toString(), tenant.id(), Tokens.hash(secret), false, description, clock.instant()));
    return HttpResponse.created(
        new TokenView(token.id(), tenant.id(), description, secret, token.createdAt()),
        URI.create("/v1/tenants/" + tenant.id() + "/tokens/" + token.id()));
  }

  private static ApiException noTenant(String tenantId) {
    return ApiException.notFound("No tenant with id '" + tenantId + "'.");
  }
}

package dev.faaster.api.auth;

import dev.faaster.api.error.ApiException;
import dev.faaster.api.error.ErrorCode;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpStatus;

/**
 * Who made the request, resolved from its bearer token.
 *
 * @param tokenId the token used
 * @param tenantId the tenant a tenant token acts for; null for admin tokens
 * @param admin whether the token may manage tenants and tokens
 */
public record Caller(String tokenId, @Nullable String tenantId, boolean admin) {

  /** The tenant this request acts for; admin tokens own no functions. */
  public String tenant() {
    if (tenantId == null) {
      throw new ApiException(
          HttpStatus.FORBIDDEN,
          ErrorCode.FORBIDDEN,
          "An admin token manages tenants and tokens; use a tenant's token to work with functions.");
    }
    return tenantId;
  }

  public void requireAdmin() {
    if (!admin) {
      throw new ApiException(HttpStatus.FORBIDDEN, ErrorCode.FORBIDDEN, "This operation needs an admin token.");
    }
  }
}

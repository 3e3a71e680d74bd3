package dev.faaster.api.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.faaster.api.error.ApiError;
import dev.faaster.api.error.ErrorCode;
import dev.faaster.registry.ApiToken;
import dev.faaster.registry.ApiTokenRepository;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpHeaders;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.annotation.RequestFilter;
import io.micronaut.http.annotation.ServerFilter;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import io.micronaut.context.propagation.slf4j.MdcPropagationContext;
import io.micronaut.core.propagation.MutablePropagatedContext;
import io.micronaut.http.HttpAttributes;
import io.micronaut.web.router.RouteMatch;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Authenticates every /v1 request by its bearer token and attaches the {@link Caller}. Hand-written
 * rather than micronaut-security: one token type, one database lookup, and errors in the API's own
 * format; the library's token validators are reactive and would need the lookup offloaded anyway.
 *
 * <p>Valid tokens are remembered for {@link #REMEMBERED_FOR}, so a warm invocation reads no
 * database for its caller. Tokens can't be revoked today; a revocation would have to {@link
 * #forget} its token here (and other processes would honour it until their entry expires).
 * Unknown tokens are not remembered: a new token works at once, and guessing fills no cache.
 */
@ServerFilter("/v1/**")
public class BearerTokenFilter {

  public static final String CALLER_ATTRIBUTE = "faaster.caller";
  private static final String BEARER = "Bearer ";

  /** How long a valid token is taken on trust without reading it again. */
  static final Duration REMEMBERED_FOR = Duration.ofSeconds(30);

  private final ApiTokenRepository tokens;
  /** Valid tokens by their hash. */
  private final Cache<String, ApiToken> valid =
      Caffeine.newBuilder().expireAfterWrite(REMEMBERED_FOR).maximumSize(10_000).build();

  public BearerTokenFilter(ApiTokenRepository tokens) {
    this.tokens = tokens;
  }

  /** Drops a remembered token: the next request with it reads the database. */
  public void forget(String tokenHash) {
    valid.invalidate(tokenHash);
  }

  @RequestFilter
  @ExecuteOn(TaskExecutors.BLOCKING)
  @Nullable
  public HttpResponse<ApiError> authenticate(HttpRequest<?> request, MutablePropagatedContext propagated) {
    String header = request.getHeaders().get(HttpHeaders.AUTHORIZATION);
    if (header == null || !header.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
      return unauthenticated("Send an API token as 'Authorization: Bearer <token>'.");
    }
    String secret = header.substring(BEARER.length()).trim();
    Optional<ApiToken> token = secret.isEmpty() ? Optional.empty() : lookup(Tokens.hash(secret));
    if (token.isEmpty()) {
      return unauthenticated("The API token is not valid.");
    }
    ApiToken t = token.get();
    request.setAttribute(CALLER_ATTRIBUTE, new Caller(t.id(), t.tenantId(), t.admin()));
    // Log lines of this request, on whatever thread runs it, carry tenant and function.
    Map<String, String> logContext = new HashMap<>();
    if (t.tenantId() != null) {
      logContext.put("tenant", t.tenantId());
    }
    functionOf(request).ifPresent(name -> logContext.put("function", name));
    propagated.add(new MdcPropagationContext(logContext));
    return null;
  }

  /** A loader's null (an unknown token) is not cached. */
  private Optional<ApiToken> lookup(String hash) {
    return Optional.ofNullable(valid.get(hash, h -> tokens.findByTokenHash(h).orElse(null)));
  }

  /** The {name} path variable of /v1/functions/{name}/..., if the route has one. */
  public static Optional<String> functionOf(HttpRequest<?> request) {
    return request
        .getAttribute(HttpAttributes.ROUTE_MATCH, RouteMatch.class)
        .flatMap(match -> Optional.ofNullable(match.getVariableValues().get("name")))
        .map(Object::toString);
  }

  private static HttpResponse<ApiError> unauthenticated(String message) {
    return HttpResponse.<ApiError>status(HttpStatus.UNAUTHORIZED)
        .header(HttpHeaders.WWW_AUTHENTICATE, "Bearer realm=\"faaster\"")
        .body(ApiError.of(ErrorCode.UNAUTHENTICATED, message));
  }
}

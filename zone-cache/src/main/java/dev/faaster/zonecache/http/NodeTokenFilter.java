package dev.faaster.zonecache.http;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpHeaders;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.annotation.RequestFilter;
import io.micronaut.http.annotation.ServerFilter;

/** Lets a /v1 request through only with the node token; no I/O, so it runs on the event loop. */
@ServerFilter("/v1/**")
public class NodeTokenFilter {

  private static final String BEARER = "Bearer ";

  private final NodeToken token;

  public NodeTokenFilter(NodeToken token) {
    this.token = token;
  }

  @RequestFilter
  @Nullable
  public HttpResponse<ZoneCacheError> authenticate(HttpRequest<?> request) {
    String header = request.getHeaders().get(HttpHeaders.AUTHORIZATION);
    if (header == null || !header.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
      return unauthenticated("Send the zone cache's node token as 'Authorization: Bearer <token>'.");
    }
    if (!token.matches(header.substring(BEARER.length()).trim())) {
      return unauthenticated("The node token is not valid for this zone cache.");
    }
    return null;
  }

  private static HttpResponse<ZoneCacheError> unauthenticated(String message) {
    return HttpResponse.<ZoneCacheError>status(HttpStatus.UNAUTHORIZED)
        .header(HttpHeaders.WWW_AUTHENTICATE, "Bearer realm=\"faaster-zone-cache\"")
        .body(ZoneCacheError.of(ErrorCode.UNAUTHENTICATED, message));
  }
}

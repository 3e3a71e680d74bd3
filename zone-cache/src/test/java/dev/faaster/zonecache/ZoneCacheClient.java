package dev.faaster.zonecache;

import io.micronaut.core.type.Argument;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.MediaType;
import io.micronaut.http.MutableHttpRequest;
import io.micronaut.http.client.HttpClient;
import io.micronaut.http.client.exceptions.HttpClientResponseException;
import java.util.Map;

/** The zone cache over real HTTP, as a node's L1 calls it; answers as {@link Reply}s, never exceptions. */
public final class ZoneCacheClient {

  /** faaster.zone-cache.node-token in application-test.yml. */
  public static final String NODE_TOKEN = "test-node-token";
  public static final String TENANT_HEADER = "X-Faaster-Tenant";

  private final HttpClient client;

  public ZoneCacheClient(HttpClient client) {
    this.client = client;
  }

  public Reply get(String tenant, String sha256, String... headers) {
    return send(withHeaders(HttpRequest.GET("/v1/packages/" + sha256), tenant, headers));
  }

  public Reply head(String tenant, String sha256, String... headers) {
    return send(withHeaders(HttpRequest.HEAD("/v1/packages/" + sha256), tenant, headers));
  }

  public Reply warm(String tenant, String sha256) {
    return send(
        HttpRequest.POST("/v1/packages/" + sha256 + "/warm", Map.of("tenantId", tenant))
            .contentType(MediaType.APPLICATION_JSON_TYPE)
            .bearerAuth(NODE_TOKEN));
  }

  public Reply send(MutableHttpRequest<?> request) {
    try {
      HttpResponse<byte[]> response =
          client.toBlocking().exchange(request, Argument.of(byte[].class), Argument.of(byte[].class));
      return reply(response);
    } catch (HttpClientResponseException e) {
      return reply(e.getResponse());
    }
  }

  /** Name/value pairs; the node token and the tenant header unless given otherwise ("Authorization", null drops it). */
  private static MutableHttpRequest<?> withHeaders(MutableHttpRequest<?> request, String tenant, String... headers) {
    request.bearerAuth(NODE_TOKEN);
    if (tenant != null) {
      request.header(TENANT_HEADER, tenant);
    }
    for (int i = 0; i < headers.length; i += 2) {
      if (headers[i + 1] == null) {
        request.getHeaders().remove(headers[i]);
      } else {
        request.getHeaders().set(headers[i], headers[i + 1]);
      }
    }
    return request;
  }

  private static Reply reply(HttpResponse<?> response) {
    byte[] body = response.getBody(Argument.of(byte[].class)).orElse(new byte[0]);
    return new Reply(response.code(), response.getHeaders(), body);
  }
}

package dev.faaster.api.observability;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micronaut.http.HttpAttributes;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.annotation.RequestFilter;
import io.micronaut.http.annotation.ResponseFilter;
import io.micronaut.http.annotation.ServerFilter;
import dev.faaster.api.auth.BearerTokenFilter;
import dev.faaster.api.auth.Caller;

/** Times every /v1 request, tagged with tenant and function (once authentication has named them). */
@ServerFilter(value = "/v1/**")
public class RequestObservationFilter {

  static final String START = "faaster.request.start";

  private final MeterRegistry meters;

  public RequestObservationFilter(MeterRegistry meters) {
    this.meters = meters;
  }

  @RequestFilter
  public void start(HttpRequest<?> request) {
    request.setAttribute(START, System.nanoTime());
  }

  @ResponseFilter
  public void record(HttpRequest<?> request, MutableHttpResponse<?> response) {
    Long start = request.getAttribute(START, Long.class).orElse(null);
    if (start == null) {
      return;
    }
    String tenant =
        request.getAttribute(BearerTokenFilter.CALLER_ATTRIBUTE, Caller.class).map(Caller::tenantId).orElse(null);
    Timer.builder("faaster.api.requests")
        .description("HTTP API requests by tenant, function, route and status")
        .tag("tenant", tenant == null ? "none" : tenant)
        .tag("function", BearerTokenFilter.functionOf(request).orElse("none"))
        .tag("method", request.getMethodName())
        .tag("route", routeOf(request))
        .tag("status", String.valueOf(response.code()))
        .register(meters)
        .record(System.nanoTime() - start, java.util.concurrent.TimeUnit.NANOSECONDS);
  }


  private static String routeOf(HttpRequest<?> request) {
    return request.getAttribute(HttpAttributes.URI_TEMPLATE, String.class).orElse("unmatched");
  }
}

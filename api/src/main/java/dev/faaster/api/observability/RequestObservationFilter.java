package dev.faaster.api.observability;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micronaut.http.HttpAttributes;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.annotation.RequestFilter;
import io.micronaut.http.annotation.ResponseFilter;
import io.micronaut.http.annotation.ServerFilter;
import io.micronaut.http.filter.ServerFilterPhase;
import io.micronaut.web.router.RouteMatch;
import java.util.Optional;
import org.slf4j.MDC;

/**
 * Tags every /v1 request's metrics with tenant and function, and puts the function into the log
 * context. Runs after authentication, which sets the tenant.
 */
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
    functionOf(request).ifPresent(name -> MDC.put("function", name));
  }

  @ResponseFilter
  public void record(HttpRequest<?> request, MutableHttpResponse<?> response) {
    Long start = request.getAttribute(START, Long.class).orElse(null);
    if (start == null) {
      return;
    }
    String tenant = MDC.get("tenant");
    Timer.builder("faaster.api.requests")
        .description("HTTP API requests by tenant, function, route and status")
        .tag("tenant", tenant == null ? "none" : tenant)
        .tag("function", functionOf(request).orElse("none"))
        .tag("method", request.getMethodName())
        .tag("route", routeOf(request))
        .tag("status", String.valueOf(response.code()))
        .register(meters)
        .record(System.nanoTime() - start, java.util.concurrent.TimeUnit.NANOSECONDS);
    MDC.remove("tenant");
    MDC.remove("function");
  }

  public int getOrder() {
    return ServerFilterPhase.METRICS.order();
  }

  private static Optional<String> functionOf(HttpRequest<?> request) {
    return request
        .getAttribute(HttpAttributes.ROUTE_MATCH, RouteMatch.class)
        .flatMap(match -> Optional.ofNullable(match.getVariableValues().get("name")))
        .map(Object::toString);
  }

  private static String routeOf(HttpRequest<?> request) {
    return request.getAttribute(HttpAttributes.URI_TEMPLATE, String.class).orElse("unmatched");
  }
}

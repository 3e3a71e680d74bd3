package dev.faaster.activities.code;

import io.micronaut.context.annotation.Value;
import io.micronaut.core.annotation.Nullable;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * Asks the zone cache (L2) to hold a package before its first cold start: the deploy's warm-up
 * step. No zone cache configured ({@code faaster.code-cache.zone.url} empty): nothing to warm.
 */
@Singleton
public class ZoneCacheWarmer {

  private final @Nullable URI zone;
  private final String token;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  public ZoneCacheWarmer(
      @Nullable @Value("${faaster.code-cache.zone.url:}") String url,
      @Nullable @Value("${faaster.code-cache.zone.token:}") String token) {
    this.zone = url == null || url.isBlank() ? null : URI.create(url.endsWith("/") ? url : url + "/");
    this.token = token == null ? "" : token;
  }

  public boolean configured() {
    return zone != null;
  }

  /**
   * Returns true once L2 holds the package; false when there is no zone cache.
   *
   * @throws IOException when L2 is unreachable or refuses (the message carries its answer)
   */
  public boolean warm(String tenantId, String sha256) throws IOException, InterruptedException {
    if (zone == null) {
      return false;
    }
    HttpRequest request =
        HttpRequest.newBuilder(zone.resolve("v1/packages/" + sha256 + "/warm"))
            .timeout(Duration.ofSeconds(60))
            .header("Authorization", "Bearer " + token)
            .header("X-Faaster-Tenant", tenantId)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString("{\"tenantId\":\"" + tenantId + "\"}"))
            .build();
    HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() / 100 != 2) {
      throw new IOException("zone cache answered " + response.statusCode() + ": " + response.body());
    }
    return true;
  }
}

package dev.faaster.zonecache.http;

import dev.faaster.packagestore.PackageKeys;
import dev.faaster.zonecache.store.CachedPackage;
import dev.faaster.zonecache.store.PackageCache;
import dev.faaster.zonecache.store.PackageRegistry;
import dev.faaster.zonecache.store.PackageUnavailableException;
import dev.faaster.zonecache.store.ZoneCacheMetrics;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpHeaders;
import io.micronaut.http.HttpMethod;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.Header;
import io.micronaut.http.annotation.PathVariable;
import io.micronaut.http.annotation.Post;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import jakarta.validation.Valid;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Packages by digest, for the tenant that owns them. GET (and HEAD) answer with the whole package or
 * one byte range, filling the cache from the origin on a miss; POST .../warm only fills it.
 */
@Controller("/v1/packages")
@ExecuteOn(TaskExecutors.BLOCKING)
public class PackageController {

  /** The tenant a request fetches for; required on every request. */
  public static final String TENANT_HEADER = "X-Faaster-Tenant";
  /** {@code hit} when the cache held the package, {@code miss} when the request waited for the origin. */
  public static final String CACHE_HEADER = "X-Faaster-Cache";

  static final MediaType ZIP = MediaType.of("application/zip");
  /** Content by digest never changes; only the owning tenant may read it, so no shared cache may keep it. */
  static final String CACHE_CONTROL = "private, max-age=31536000, immutable";

  private static final Logger log = LoggerFactory.getLogger(PackageController.class);

  private final PackageCache cache;
  private final PackageRegistry registry;
  private final ZoneCacheMetrics metrics;

  public PackageController(PackageCache cache, PackageRegistry registry, ZoneCacheMetrics metrics) {
    this.cache = cache;
    this.registry = registry;
    this.metrics = metrics;
  }

  /** Also answers HEAD (Micronaut's implicit head route): the same headers, no body, nothing read. */
  @Get("/{sha256}")
  public HttpResponse<?> get(
      @PathVariable String sha256, @Nullable @Header(TENANT_HEADER) String tenant, HttpRequest<?> request)
      throws PackageUnavailableException {
    return serve(sha256, tenant, request, request.getMethod() != HttpMethod.HEAD);
  }

  @Post("/{sha256}/warm")
  public HttpResponse<Void> warm(
      @PathVariable String sha256, @Valid @Body WarmCommand command, @Nullable @Header(TENANT_HEADER) String tenant)
      throws PackageUnavailableException {
    if (tenant != null && !tenant.equals(command.tenantId())) {
      throw new RequestRefusedException(
          HttpStatus.BAD_REQUEST,
          ErrorCode.TENANT_REQUIRED,
          "The " + TENANT_HEADER + " header and the body's tenantId name different tenants.");
    }
    authorize(command.tenantId(), sha256);
    boolean fetched = cache.warm(sha256);
    return HttpResponse.<Void>noContent().header(CACHE_HEADER, fetched ? "miss" : "hit");
  }

  private HttpResponse<?> serve(String sha256, @Nullable String tenant, HttpRequest<?> request, boolean withBody)
      throws PackageUnavailableException {
    authorize(tenant, sha256);
    CachedPackage pkg = cache.open(sha256);
    boolean handedOver = false;
    try {
      String etag = "\"" + sha256 + "\"";
      String ifNoneMatch = request.getHeaders().get(HttpHeaders.IF_NONE_MATCH);
      if (ifNoneMatch != null && (ifNoneMatch.contains(etag) || ifNoneMatch.trim().equals("*"))) {
        return HttpResponse.notModified().header(HttpHeaders.ETAG, etag);
      }
      String ifRange = request.getHeaders().get(HttpHeaders.IF_RANGE);
      ByteRange range =
          ifRange == null || ifRange.trim().equals(etag)
              ? ByteRange.of(request.getHeaders().get(HttpHeaders.RANGE), pkg.sizeBytes())
              : new ByteRange.Whole(pkg.sizeBytes());
      if (range instanceof ByteRange.Unsatisfiable unsatisfiable) {
        return HttpResponse.<ZoneCacheError>status(HttpStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
            .header(HttpHeaders.CONTENT_RANGE, unsatisfiable.contentRange())
            .body(
                ZoneCacheError.of(
                    ErrorCode.RANGE_NOT_SATISFIABLE,
                    "The range '"
                        + request.getHeaders().get(HttpHeaders.RANGE)
                        + "' starts past the end of package "
                        + sha256
                        + " ("
                        + pkg.sizeBytes()
                        + " bytes)."));
      }
      long start = 0;
      long length = pkg.sizeBytes();
      MutableHttpResponse<Object> response;
      if (range instanceof ByteRange.Partial partial) {
        start = partial.start();
        length = partial.length();
        response = HttpResponse.status(HttpStatus.PARTIAL_CONTENT).header(HttpHeaders.CONTENT_RANGE, partial.contentRange());
      } else {
        response = HttpResponse.ok();
      }
      response
          .header(HttpHeaders.ETAG, etag)
          .header(HttpHeaders.ACCEPT_RANGES, "bytes")
          .header(HttpHeaders.CACHE_CONTROL, CACHE_CONTROL)
          .header(CACHE_HEADER, pkg.hit() ? "hit" : "miss");
      if (!withBody) {
        return response.contentType(ZIP).contentLength(length);
      }
      response.contentType(ZIP).contentLength(length).body(new PackageBody(pkg, start, length));
      handedOver = true;
      metrics.served(length);
      return response;
    } finally {
      if (!handedOver) {
        closeQuietly(pkg);
      }
    }
  }

  /** The digest is well formed, the request names a tenant, and that tenant owns the digest. */
  private void authorize(@Nullable String tenant, String sha256) {
    if (!PackageKeys.isDigest(sha256)) {
      throw new RequestRefusedException(
          HttpStatus.BAD_REQUEST,
          ErrorCode.INVALID_DIGEST,
          "'" + sha256 + "' is not a sha256 digest (64 lowercase hexadecimal characters).");
    }
    if (tenant == null || tenant.isBlank()) {
      throw new RequestRefusedException(
          HttpStatus.BAD_REQUEST,
          ErrorCode.TENANT_REQUIRED,
          "Name the tenant the package is fetched for in the " + TENANT_HEADER + " header.");
    }
    boolean owns;
    try {
      owns = registry.owns(tenant, sha256);
    } catch (RuntimeException e) {
      log.warn("ownership check of {} for tenant {} failed: {}", sha256, tenant, e.toString());
      throw new RequestRefusedException(
          HttpStatus.SERVICE_UNAVAILABLE,
          ErrorCode.REGISTRY_UNAVAILABLE,
          "The zone cache cannot reach the registry database to check who owns package " + sha256 + ".");
    }
    if (!owns) {
      throw new RequestRefusedException(
          HttpStatus.FORBIDDEN,
          ErrorCode.NOT_OWNED,
          "Tenant " + tenant + " has no function version or deployment with package " + sha256 + ".");
    }
  }

  private static void closeQuietly(CachedPackage pkg) {
    try {
      pkg.close();
    } catch (IOException e) {
      log.debug("cannot close package {}: {}", pkg.sha256(), e.getMessage());
    }
  }
}

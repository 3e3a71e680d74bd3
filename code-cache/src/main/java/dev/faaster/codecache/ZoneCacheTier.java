package dev.faaster.codecache;

import dev.faaster.packagestore.PackageKeys;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.Proxy;
import java.net.URI;
import java.net.URL;
import java.time.Duration;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The zone cache (L2) as an HTTP client.
 *
 * <p>Contract with the L2 service: {@code GET {baseUrl}/v1/packages/{sha256}} with {@code
 * Authorization: Bearer <node token>} and {@code X-Faaster-Tenant: <tenantId>}. Answers: 200 with
 * the bytes (and a Content-Length); 404 when L2 doesn't hold the package and couldn't fetch it from
 * the origin; 403 when the tenant doesn't own the digest; 401 when the node token is wrong. With
 * {@code Range: bytes=N-}: 206 and {@code Content-Range: bytes N-(len-1)/len}.
 *
 * <p>A body cut off mid-way is resumed from the last byte received with a range request, at most
 * {@value #MAX_RESUMES} times per package; packages are immutable (content-addressed), so the
 * pieces always belong together. The request timeout bounds the wait for the response headers
 * (L2 may be fetching from the origin meanwhile) and any single stall of the body, not the whole
 * body: a stalled body is resumed like a broken one.
 *
 * <p>The client is the JDK's {@link HttpURLConnection} (keep-alive connections pooled per JVM):
 * its body stream reads the socket straight into the caller's buffer. The JDK's
 * {@code java.net.http.HttpClient} hands a body over in 16 KiB buffers through its selector thread
 * and a queue, which measured 410 to 660 MiB/s from a warm L2 over loopback where this client
 * reads 0.9 to 1.4 GiB/s (the same server; see SPECIFICATION.md 4.2).
 */
public final class ZoneCacheTier implements CodeTier {

  public static final String NAME = "l2";
  public static final String TENANT_HEADER = "X-Faaster-Tenant";
  static final int MAX_RESUMES = 3;

  private static final Logger log = LoggerFactory.getLogger(ZoneCacheTier.class);

  private final URI packages;
  private final String token;
  private final int connectTimeoutMillis;
  private final int requestTimeoutMillis;

  /**
   * @param baseUrl the L2 service, e.g. {@code http://l2.zone-a:8090}
   * @param token this node's bearer token; blank sends no Authorization header
   * @param connectTimeout bound of the TCP connect: a dead L2 costs at most this before the origin
   * @param requestTimeout bound of the wait for the response headers, and of any stall in the body
   */
  public ZoneCacheTier(URI baseUrl, String token, Duration connectTimeout, Duration requestTimeout) {
    String base = baseUrl.toString();
    while (base.endsWith("/")) {
      base = base.substring(0, base.length() - 1);
    }
    this.packages = URI.create(base + "/v1/packages/");
    this.token = token == null ? "" : token;
    this.connectTimeoutMillis = millis(connectTimeout);
    this.requestTimeoutMillis = millis(requestTimeout);
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Optional<InputStream> open(String tenantId, String sha256) throws IOException {
    if (!PackageKeys.isDigest(sha256)) {
      throw new IllegalArgumentException("not a lowercase hex sha256: " + sha256);
    }
    HttpURLConnection connection = get(tenantId, sha256, 0);
    int status = connection.getResponseCode();
    if (status == 200) {
      return Optional.of(new ResumingBody(tenantId, sha256, connection.getInputStream(), connection.getContentLengthLong()));
    }
    discard(connection);
    return switch (status) {
      case 404 -> Optional.empty();
      case 403 -> throw new CodeAccessDeniedException(NAME, tenantId, sha256);
      default -> throw new IOException("zone cache answered HTTP " + status + " for " + sha256);
    };
  }

  /** Sends the request; the caller reads the status (which waits for the headers). */
  private HttpURLConnection get(String tenantId, String sha256, long from) throws IOException {
    URL url = packages.resolve(sha256).toURL();
    // No proxy whatever the JVM's proxy properties say: L2 is in the node's own zone.
    HttpURLConnection connection = (HttpURLConnection) url.openConnection(Proxy.NO_PROXY);
    connection.setRequestMethod("GET");
    connection.setInstanceFollowRedirects(false);
    connection.setUseCaches(false);
    connection.setConnectTimeout(connectTimeoutMillis);
    connection.setReadTimeout(requestTimeoutMillis);
    connection.setRequestProperty(TENANT_HEADER, tenantId);
    if (!token.isBlank()) {
      connection.setRequestProperty("Authorization", "Bearer " + token);
    }
    if (from > 0) {
      connection.setRequestProperty("Range", "bytes=" + from + "-");
    }
    return connection;
  }

  /** Reads an error answer's body to its end, so the connection goes back to the keep-alive pool. */
  private static void discard(HttpURLConnection connection) {
    InputStream body = connection.getErrorStream();
    if (body == null) {
      return;
    }
    try (body) {
      body.transferTo(OutputStream.nullOutputStream());
    } catch (IOException ignored) {
      // Only draining so the connection can be reused.
    }
  }

  private static int millis(Duration duration) {
    long millis = duration.toMillis();
    if (millis <= 0) {
      throw new IllegalArgumentException("timeouts must be positive: " + duration);
    }
    return (int) Math.min(Integer.MAX_VALUE, millis);
  }

  /** A response body that picks up where it broke off, with a range request. */
  private final class ResumingBody extends InputStream {

    private final String tenantId;
    private final String sha256;
    private final long length;
    private InputStream current;
    private long position;
    private int resumes;

    ResumingBody(String tenantId, String sha256, InputStream first, long length) {
      this.tenantId = tenantId;
      this.sha256 = sha256;
      this.current = first;
      this.length = length;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n == -1 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] buffer, int offset, int count) throws IOException {
      if (count == 0) {
        return 0;
      }
      while (true) {
        try {
          int n = current.read(buffer, offset, count);
          if (n == -1 && length >= 0 && position < length) {
            throw new EOFException("body ended at byte " + position + " of " + length);
          }
          if (n > 0) {
            position += n;
          }
          return n;
        } catch (IOException broken) {
          if (resumes >= MAX_RESUMES) {
            throw broken;
          }
          resumes++;
          resume(broken);
        }
      }
    }

    private void resume(IOException cause) throws IOException {
      closeQuietly(current);
      log.info("zone cache body of {} broke at byte {} ({}); resuming", sha256, position, cause.toString());
      HttpURLConnection connection = get(tenantId, sha256, position);
      int status = connection.getResponseCode();
      boolean whole = status == 200 && position == 0;
      String contentRange = connection.getHeaderField("Content-Range");
      boolean rest = status == 206 && contentRange != null && contentRange.startsWith("bytes " + position + "-");
      if (!whole && !rest) {
        if (status >= 400) {
          discard(connection);
        } else {
          connection.disconnect();
        }
        IOException failed = new IOException("zone cache cannot resume " + sha256 + " at byte " + position + ": HTTP " + status);
        failed.addSuppressed(cause);
        throw failed;
      }
      current = connection.getInputStream();
    }

    @Override
    public void close() throws IOException {
      current.close();
    }

    private static void closeQuietly(InputStream in) {
      try {
        in.close();
      } catch (IOException ignored) {
        // The stream is already broken.
      }
    }
  }
}

package dev.faaster.embeddeds3;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore;

/**
 * An S3-compatible server (S3Proxy) storing objects as files under one directory, so the embedded
 * platform speaks the same S3 API to it as production speaks to MinIO, Ceph or AWS S3. Objects
 * survive a restart. Binds the given host only (127.0.0.1 by default); port 0 picks a free port.
 */
public final class EmbeddedS3Server implements AutoCloseable {

  private final S3Proxy proxy;
  private final String host;

  private EmbeddedS3Server(S3Proxy proxy, String host) {
    this.proxy = proxy;
    this.host = host;
  }

  /** Starts the server; returns once it accepts requests. */
  public static EmbeddedS3Server start(String host, int port, Path directory, String accessKey, String secretKey) {
    try {
      Files.createDirectories(directory);
      S3Proxy proxy =
          S3Proxy.builder()
              .blobStore(new FilesystemNio2BlobStore(directory.toAbsolutePath().toString()))
              .endpoint(URI.create("http://" + host + ":" + port))
              .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, accessKey, secretKey)
              .build();
      proxy.start();
      waitUntilStarted(proxy);
      return new EmbeddedS3Server(proxy, host);
    } catch (IOException e) {
      throw new IllegalStateException("cannot create the object store directory " + directory + ": " + e.getMessage(), e);
    } catch (Exception e) {
      throw new IllegalStateException(
          "cannot start the embedded S3 server on " + host + ":" + port + ": " + e.getMessage(), e);
    }
  }

  private static void waitUntilStarted(S3Proxy proxy) throws InterruptedException {
    for (int i = 0; i < 500 && !"STARTED".equals(proxy.getState()); i++) {
      Thread.sleep(10);
    }
    if (!"STARTED".equals(proxy.getState())) {
      throw new IllegalStateException("S3Proxy did not start: " + proxy.getState());
    }
  }

  /** The endpoint clients use, with the port actually bound. */
  public URI endpoint() {
    return URI.create("http://" + host + ":" + proxy.getPort());
  }

  @Override
  public void close() {
    try {
      proxy.stop();
    } catch (Exception e) {
      throw new IllegalStateException("cannot stop the embedded S3 server: " + e.getMessage(), e);
    }
  }
}

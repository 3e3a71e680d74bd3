package dev.faaster.api.code;

import dev.faaster.api.error.ApiException;
import dev.faaster.api.error.ErrorCode;
import dev.faaster.api.functions.CodeView;
import dev.faaster.api.functions.FunctionService;
import dev.faaster.packagestore.InvalidPackageException;
import dev.faaster.packagestore.PackageFiles;
import dev.faaster.packagestore.PackageInspector;
import dev.faaster.packagestore.PackageKeys;
import dev.faaster.packagestore.PackageLimits;
import dev.faaster.packagestore.PackageProblem;
import dev.faaster.packagestore.PackageStore;
import dev.faaster.registry.DeploymentRepository;
import dev.faaster.registry.DeploymentStatus;
import dev.faaster.registry.FunctionRecord;
import dev.faaster.registry.FunctionRepository;
import io.micronaut.context.annotation.Value;
import io.micronaut.http.HttpStatus;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * $LATEST code uploads. The body streams to a scratch file while its sha256 and size are counted,
 * is inspected there, and only a package that passes reaches the object store and the registry: a
 * refused upload leaves no object and no row behind.
 */
@Singleton
public class CodeService {

  private static final Logger log = LoggerFactory.getLogger(CodeService.class);

  private final FunctionService functionService;
  private final FunctionRepository functions;
  private final DeploymentRepository deployments;
  private final PackageInspector inspector;
  private final PackageLimits limits;
  private final PackageStore store;
  private final Path scratch;
  private final Clock clock;

  public CodeService(
      FunctionService functionService,
      FunctionRepository functions,
      DeploymentRepository deployments,
      PackageInspector inspector,
      PackageLimits limits,
      PackageStore store,
      @Value("${faaster.data-dir:.data}") String dataDir,
      Clock clock) {
    this.functionService = functionService;
    this.functions = functions;
    this.deployments = deployments;
    this.inspector = inspector;
    this.limits = limits;
    this.store = store;
    this.scratch = Path.of(dataDir, "tmp");
    this.clock = clock;
  }

  public CodeView upload(String tenantId, String name, InputStream body) {
    FunctionRecord function = functionService.require(tenantId, name);
    Path file = null;
    try {
      file = PackageFiles.newScratchFile(scratch, "upload-");
      PackageFiles.Written written = PackageFiles.write(body, file, limits.maxBytes());
      String sha256 = written.sha256();
      long size = written.sizeBytes();
      inspector.inspect(file);
      String key = PackageKeys.staging(tenantId, function.id(), sha256);
      store.putFile(key, file, sha256);
      if (functions.updateCode(function.id(), function.revision(), sha256, size, key, clock.instant()) == 0) {
        FunctionRecord now = functions.findById(function.id()).orElse(null);
        if (now == null || !key.equals(now.codeStagingKey())) {
          store.delete(key);
        }
        throw ApiException.conflict(
            ErrorCode.CONCURRENT_MODIFICATION, "'" + name + "' was changed by another request at the same time; retry.");
      }
      String previous = function.codeStagingKey();
      if (previous != null && !previous.equals(key) && !deployments.existsByStagingKeyAndStatus(previous, DeploymentStatus.PENDING)) {
        store.delete(previous);
      }
      log.info("uploaded code {} ({} bytes) for {}", sha256, size, name);
      return new CodeView(sha256, size);
    } catch (InvalidPackageException e) {
      HttpStatus status = e.problem() == PackageProblem.PACKAGE_TOO_LARGE ? HttpStatus.REQUEST_ENTITY_TOO_LARGE : HttpStatus.BAD_REQUEST;
      throw new ApiException(status, e.problem().name(), e.getMessage());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot receive the code package: " + e.getMessage(), e);
    } finally {
      PackageFiles.deleteQuietly(file);
    }
  }


  /** The bytes of an object the caller has already been authorised to read. */
  public InputStream open(String key) {
    Optional<InputStream> object = store.open(key);
    return object.orElseThrow(() -> ApiException.notFound("The code package is no longer stored."));
  }

}

package dev.faaster.api.functions;

import dev.faaster.api.Names;
import dev.faaster.api.error.ApiException;
import dev.faaster.api.error.ErrorCode;
import dev.faaster.packagestore.PackageKeys;
import dev.faaster.packagestore.PackageStore;
import dev.faaster.registry.DeploymentRepository;
import dev.faaster.registry.DeploymentStatus;
import dev.faaster.registry.FunctionRecord;
import dev.faaster.registry.FunctionRepository;
import dev.faaster.registry.FunctionVersion;
import dev.faaster.registry.FunctionVersionRepository;
import io.micronaut.context.event.ApplicationEventPublisher;
import io.micronaut.data.model.Pageable;
import jakarta.inject.Singleton;
import jakarta.transaction.Transactional;
import java.time.Clock;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Functions of one tenant at a time: every lookup is by (tenant, name), so foreign ones are never found. */
@Singleton
public class FunctionService {

  private static final Logger log = LoggerFactory.getLogger(FunctionService.class);
  public static final int MAX_PAGE_SIZE = 100;

  private final FunctionRepository functions;
  private final FunctionVersionRepository versions;
  private final DeploymentRepository deployments;
  private final PackageStore store;
  private final ConfigurationJson json;
  private final Clock clock;
  private final ApplicationEventPublisher<FunctionDeleted> deleted;

  public FunctionService(
      FunctionRepository functions,
      FunctionVersionRepository versions,
      DeploymentRepository deployments,
      PackageStore store,
      ConfigurationJson json,
      Clock clock,
      ApplicationEventPublisher<FunctionDeleted> deleted) {
    this.functions = functions;
    this.versions = versions;
    this.deployments = deployments;
    this.store = store;
    this.json = json;
    this.clock = clock;
    this.deleted = deleted;
  }

  /** The function, or 404 whether it doesn't exist or belongs to someone else. */
  public FunctionRecord require(String tenantId, String name) {
    return functions
        .findByTenantIdAndName(tenantId, name)
        .orElseThrow(() -> ApiException.notFound("No function named '" + name + "'."));
  }

  @Transactional
  public FunctionRecord create(String tenantId, CreateFunctionCommand command) {
    String name = Names.function(command.name());
    String runtime = FunctionRules.runtime(command.runtime());
    String handler = FunctionRules.handler(runtime, command.handler());
    int memory = FunctionRules.memory(command.memoryMb() == null ? FunctionRules.DEFAULT_MEMORY_MB : command.memoryMb());
    int timeout = FunctionRules.timeout(command.timeoutSeconds() == null ? FunctionRules.DEFAULT_TIMEOUT_SECONDS : command.timeoutSeconds());
    Map<String, String> environment = FunctionRules.environment(command.environment() == null ? Map.of() : command.environment());
    String description = FunctionRules.description(command.description());
    if (functions.findByTenantIdAndName(tenantId, name).isPresent()) {
      throw ApiException.conflict(ErrorCode.FUNCTION_EXISTS, "A function named '" + name + "' already exists.");
    }
    var now = clock.instant();
    return functions.save(
        new FunctionRecord(
            UUID.randomUUID().toString(),
            tenantId,
            name,
            runtime,
            handler,
            memory,
            timeout,
            json.environment(environment),
            json.vpc(command.vpcConfig() == null ? VpcConfig.NONE : command.vpcConfig()),
            description,
            null,
            null,
            null,
            1,
            0,
            now,
            now,
            null,
            command.snapStart() == null || command.snapStart()));
  }

  public FunctionPage list(String tenantId, String cursor, int limit) {
    if (limit < 1 || limit > MAX_PAGE_SIZE) {
      throw ApiException.badRequest(ErrorCode.VALIDATION_FAILED, "limit must be 1 to " + MAX_PAGE_SIZE + ", not " + limit + ".");
    }
    List<FunctionRecord> page =
        functions.findByTenantIdAndNameGreaterThanOrderByName(tenantId, cursor == null ? "" : cursor, Pageable.from(0, limit + 1));
    boolean more = page.size() > limit;
    List<FunctionRecord> shown = more ? page.subList(0, limit) : page;
    return new FunctionPage(shown.stream().map(this::view).toList(), more ? shown.get(shown.size() - 1).name() : null);
  }

  @Transactional
  public FunctionRecord update(String tenantId, String name, UpdateFunctionCommand command) {
    FunctionRecord current = require(tenantId, name);
    String runtime = command.runtime() == null ? current.runtime() : FunctionRules.runtime(command.runtime());
    String handler = FunctionRules.handler(runtime, command.handler() == null ? current.handler() : command.handler());
    int memory = command.memoryMb() == null ? current.memoryMb() : FunctionRules.memory(command.memoryMb());
    int timeout = command.timeoutSeconds() == null ? current.timeoutSeconds() : FunctionRules.timeout(command.timeoutSeconds());
    String environment =
        command.environment() == null ? current.environment() : json.environment(FunctionRules.environment(command.environment()));
    String vpc = command.vpcConfig() == null ? current.vpcConfig() : json.vpc(command.vpcConfig());
    String description = command.description() == null ? current.description() : FunctionRules.description(command.description());
    boolean snapStart = command.snapStart() == null ? current.snapStart() : command.snapStart();
    long changed =
        functions.updateConfiguration(
            current.id(), current.revision(), runtime, handler, memory, timeout, environment, vpc, description, snapStart,
            clock.instant());
    if (changed == 0) {
      throw concurrentModification(name);
    }
    return functions.findById(current.id()).orElseThrow();
  }

  /**
   * Deletes the function, its versions, aliases and deployments, then the objects only it used.
   * Refused while a deploy is in flight: the workflow would otherwise write into a deleted function.
   */
  public void delete(String tenantId, String name) {
    FunctionRecord function = require(tenantId, name);
    if (!deployments.findByFunctionIdAndStatus(function.id(), DeploymentStatus.PENDING).isEmpty()) {
      throw ApiException.conflict(
          ErrorCode.DEPLOY_IN_PROGRESS, "A deploy of '" + name + "' is in progress; delete the function once it finishes.");
    }
    Set<String> digests = new LinkedHashSet<>();
    for (FunctionVersion version : versions.findByFunctionId(function.id())) {
      digests.add(version.codeSha256());
    }
    functions.deleteById(function.id());
    deleted.publishEvent(new FunctionDeleted(tenantId, function.id(), function.name()));
    // After the rows are gone: an object that outlives a crash here is garbage, never a dangling row.
    if (function.codeStagingKey() != null) {
      store.delete(function.codeStagingKey());
    }
    for (String digest : digests) {
      if (!versions.existsByCodeSha256(digest)) {
        store.delete(PackageKeys.contentAddressed(digest));
      }
    }
    log.info("deleted function {} ({} package(s) checked)", name, digests.size());
  }

  public FunctionView view(FunctionRecord function) {
    return new FunctionView(
        function.name(),
        function.runtime(),
        function.handler(),
        function.memoryMb(),
        function.timeoutSeconds(),
        json.environment(function.environment()),
        json.vpc(function.vpcConfig()),
        function.description(),
        function.hasCode() ? new CodeView(function.codeSha256(), function.codeSizeBytes()) : null,
        function.snapStart(),
        function.createdAt(),
        function.updatedAt());
  }

  static ApiException concurrentModification(String name) {
    return ApiException.conflict(
        ErrorCode.CONCURRENT_MODIFICATION, "'" + name + "' was changed by another request at the same time; retry.");
  }
}

package dev.faaster.api.invoke;

import dev.faaster.api.ApiRole;
import dev.faaster.api.aliases.RoutingEntry;
import dev.faaster.api.error.ApiException;
import dev.faaster.api.error.ErrorCode;
import dev.faaster.api.functions.ConfigurationJson;
import dev.faaster.api.functions.FunctionService;
import dev.faaster.registry.Alias;
import dev.faaster.registry.AliasRepository;
import dev.faaster.registry.FunctionRecord;
import dev.faaster.registry.FunctionVersion;
import dev.faaster.registry.FunctionVersionRepository;
import dev.faaster.registry.TenantRepository;
import io.micronaut.context.annotation.Requires;
import io.micronaut.core.annotation.Nullable;
import jakarta.inject.Singleton;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/**
 * Turns an invocation request into a target: the caller's function (404 for a foreign one), the
 * version its qualifier names (a number, an alias drawn by weight, or none for the highest
 * published version) and its concurrency limit; then has the router run it.
 */
@Singleton
@Requires(property = "faaster.roles", pattern = ApiRole.PATTERN)
public class InvocationService {

  /** The qualifier of the highest published version, as Lambda's unqualified invocations. */
  public static final String LATEST = "$LATEST";

  private static final Pattern VERSION = Pattern.compile("[1-9][0-9]{0,8}");
  private static final Pattern ALIAS = Pattern.compile("(?!^[0-9]+$)[A-Za-z0-9_-]{1,64}");

  private final FunctionService functions;
  private final FunctionVersionRepository versions;
  private final AliasRepository aliases;
  private final TenantRepository tenants;
  private final ConfigurationJson json;
  private final InvocationRouter router;
  private final InvocationSettings settings;
  /** Tenant names never change; the cold path shouldn't read them again and again. */
  private final Map<String, String> tenantNames = new ConcurrentHashMap<>();

  public InvocationService(
      FunctionService functions,
      FunctionVersionRepository versions,
      AliasRepository aliases,
      TenantRepository tenants,
      ConfigurationJson json,
      InvocationRouter router,
      InvocationSettings settings) {
    this.functions = functions;
    this.versions = versions;
    this.aliases = aliases;
    this.tenants = tenants;
    this.json = json;
    this.router = router;
    this.settings = settings;
  }

  public InvocationResult invoke(String tenantId, String functionName, @Nullable String qualifier, byte[] event) {
    return router.invoke(target(tenantId, functionName, qualifier), event);
  }

  /** Checks the qualifier's form before anything is looked up. */
  static void checkQualifier(@Nullable String qualifier) {
    if (qualifier == null || qualifier.isEmpty() || LATEST.equals(qualifier)) {
      return;
    }
    if (!VERSION.matcher(qualifier).matches() && !ALIAS.matcher(qualifier).matches()) {
      throw ApiException.badRequest(
          ErrorCode.INVALID_QUALIFIER,
          "The qualifier '" + qualifier + "' is neither a version number (1, 2, ...) nor an alias name.");
    }
  }

  InvocationTarget target(String tenantId, String functionName, @Nullable String qualifier) {
    checkQualifier(qualifier);
    FunctionRecord function = functions.require(tenantId, functionName);
    FunctionVersion version = version(function, qualifier);
    return new InvocationTarget(
        tenantId,
        tenantNames.computeIfAbsent(tenantId, id -> tenants.findById(id).map(t -> t.name()).orElse(id)),
        function.id(),
        function.name(),
        version,
        json.environment(version.environment()),
        function.snapStart(),
        concurrencyLimit(function));
  }

  int concurrencyLimit(FunctionRecord function) {
    return function.reservedConcurrency() == null ? settings.defaultConcurrencyLimit() : function.reservedConcurrency();
  }

  private FunctionVersion version(FunctionRecord function, @Nullable String qualifier) {
    if (qualifier == null || qualifier.isEmpty() || LATEST.equals(qualifier)) {
      return versions
          .findFirstByFunctionIdOrderByVersionDesc(function.id())
          .orElseThrow(() -> ApiException.notFound("'" + function.name() + "' has no published version; publish one first."));
    }
    int number;
    if (VERSION.matcher(qualifier).matches()) {
      number = Integer.parseInt(qualifier);
    } else {
      Alias alias =
          aliases
              .findByFunctionIdAndName(function.id(), qualifier)
              .orElseThrow(() -> ApiException.notFound("'" + function.name() + "' has no alias named '" + qualifier + "'."));
      number = VersionChooser.choose(routing(alias), ThreadLocalRandom.current().nextDouble());
    }
    return versions
        .findByFunctionIdAndVersion(function.id(), number)
        .orElseThrow(() -> ApiException.notFound("'" + function.name() + "' has no version " + number + "."));
  }

  private static List<RoutingEntry> routing(Alias alias) {
    List<RoutingEntry> routing = new ArrayList<>(2);
    routing.add(new RoutingEntry(alias.version(), alias.weight()));
    if (alias.additionalVersion() != null && alias.additionalWeight() != null) {
      routing.add(new RoutingEntry(alias.additionalVersion(), alias.additionalWeight()));
    }
    return routing;
  }
}

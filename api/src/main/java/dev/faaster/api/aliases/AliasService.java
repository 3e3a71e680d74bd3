package dev.faaster.api.aliases;

import dev.faaster.api.Names;
import dev.faaster.api.error.ApiException;
import dev.faaster.api.error.ErrorCode;
import dev.faaster.api.functions.FunctionRules;
import dev.faaster.api.functions.FunctionService;
import dev.faaster.registry.Alias;
import dev.faaster.registry.AliasRepository;
import dev.faaster.registry.FunctionRecord;
import dev.faaster.registry.FunctionVersionRepository;
import jakarta.inject.Singleton;
import java.net.URI;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/** Aliases: named pointers to one version or a weighted split between two. */
@Singleton
public class AliasService {

  private final FunctionService functions;
  private final AliasRepository aliases;
  private final FunctionVersionRepository versions;
  private final Clock clock;

  public AliasService(FunctionService functions, AliasRepository aliases, FunctionVersionRepository versions, Clock clock) {
    this.functions = functions;
    this.aliases = aliases;
    this.versions = versions;
    this.clock = clock;
  }

  public Alias create(String tenantId, String functionName, AliasCommand command) {
    FunctionRecord function = functions.require(tenantId, functionName);
    String name = Names.alias(command.name());
    List<RoutingEntry> routing = routing(function, command);
    String description = FunctionRules.description(command.description());
    if (aliases.findByFunctionIdAndName(function.id(), name).isPresent()) {
      throw ApiException.conflict(ErrorCode.ALIAS_EXISTS, "'" + functionName + "' already has an alias named '" + name + "'.");
    }
    var now = clock.instant();
    RoutingEntry first = routing.get(0);
    RoutingEntry second = routing.size() > 1 ? routing.get(1) : null;
    return aliases.save(
        new Alias(
            UUID.randomUUID().toString(),
            tenantId,
            function.id(),
            name,
            first.version(),
            first.weight(),
            second == null ? null : second.version(),
            second == null ? null : second.weight(),
            description,
            0,
            now,
            now));
  }

  public Alias update(String tenantId, String functionName, String aliasName, AliasCommand command) {
    FunctionRecord function = functions.require(tenantId, functionName);
    Alias alias = require(function, aliasName);
    List<RoutingEntry> routing = routing(function, command);
    String description = command.description() == null ? alias.description() : FunctionRules.description(command.description());
    RoutingEntry first = routing.get(0);
    RoutingEntry second = routing.size() > 1 ? routing.get(1) : null;
    long changed =
        aliases.repoint(
            alias.id(),
            alias.revision(),
            first.version(),
            first.weight(),
            second == null ? null : second.version(),
            second == null ? null : second.weight(),
            description,
            clock.instant());
    if (changed == 0) {
      throw ApiException.conflict(
          ErrorCode.CONCURRENT_MODIFICATION, "The alias '" + aliasName + "' was changed by another request at the same time; retry.");
    }
    return aliases.findById(alias.id()).orElseThrow();
  }

  public void delete(String tenantId, String functionName, String aliasName) {
    FunctionRecord function = functions.require(tenantId, functionName);
    aliases.delete(require(function, aliasName));
  }

  public Alias get(String tenantId, String functionName, String aliasName) {
    return require(functions.require(tenantId, functionName), aliasName);
  }

  public List<Alias> list(String tenantId, String functionName) {
    return aliases.findByFunctionIdOrderByName(functions.require(tenantId, functionName).id());
  }

  private Alias require(FunctionRecord function, String aliasName) {
    return aliases
        .findByFunctionIdAndName(function.id(), aliasName)
        .orElseThrow(() -> ApiException.notFound("'" + function.name() + "' has no alias named '" + aliasName + "'."));
  }

  /** Validates the routing: one or two distinct, published versions, weights 1..100 adding up to 100. */
  private List<RoutingEntry> routing(FunctionRecord function, AliasCommand command) {
    List<RoutingEntry> routing;
    if (command.version() != null && command.routing() != null) {
      throw ApiException.badRequest(ErrorCode.INVALID_ROUTING, "Give either 'version' or 'routing', not both.");
    } else if (command.version() != null) {
      routing = List.of(new RoutingEntry(command.version(), 100));
    } else if (command.routing() != null) {
      routing = new ArrayList<>(command.routing());
    } else {
      throw ApiException.badRequest(ErrorCode.INVALID_ROUTING, "Give 'version' or 'routing' (one or two versions with weights).");
    }
    if (routing.isEmpty() || routing.size() > 2) {
      throw ApiException.badRequest(ErrorCode.INVALID_ROUTING, "An alias routes to one or two versions, not " + routing.size() + ".");
    }
    int total = 0;
    for (RoutingEntry entry : routing) {
      if (entry.weight() < 1 || entry.weight() > 100) {
        throw ApiException.badRequest(
            ErrorCode.INVALID_ROUTING, "Weights are percentages from 1 to 100; version " + entry.version() + " has " + entry.weight() + ".");
      }
      total += entry.weight();
    }
    if (total != 100) {
      throw ApiException.badRequest(ErrorCode.INVALID_ROUTING, "The weights add up to " + total + "; they must add up to 100.");
    }
    if (routing.size() == 2 && routing.get(0).version() == routing.get(1).version()) {
      throw ApiException.badRequest(ErrorCode.INVALID_ROUTING, "A split needs two different versions.");
    }
    for (RoutingEntry entry : routing) {
      if (!versions.existsByFunctionIdAndVersion(function.id(), entry.version())) {
        throw ApiException.badRequest(
            ErrorCode.VERSION_NOT_FOUND, "'" + function.name() + "' has no published version " + entry.version() + ".");
      }
    }
    return routing;
  }

  public AliasView view(Alias alias) {
    List<RoutingEntry> routing = new ArrayList<>();
    routing.add(new RoutingEntry(alias.version(), alias.weight()));
    if (alias.additionalVersion() != null) {
      routing.add(new RoutingEntry(alias.additionalVersion(), alias.additionalWeight()));
    }
    return new AliasView(alias.name(), routing, alias.description(), alias.createdAt(), alias.updatedAt());
  }

  static URI location(String functionName, String aliasName) {
    return URI.create("/v1/functions/" + functionName + "/aliases/" + aliasName);
  }
}

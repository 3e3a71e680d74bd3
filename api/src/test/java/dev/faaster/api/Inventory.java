package dev.faaster.api;

import dev.faaster.packagestore.PackageStore;
import dev.faaster.registry.AliasRepository;
import dev.faaster.registry.ApiTokenRepository;
import dev.faaster.registry.DeploymentRepository;
import dev.faaster.registry.FunctionRepository;
import dev.faaster.registry.FunctionVersionRepository;
import dev.faaster.registry.TenantRepository;
import jakarta.inject.Singleton;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.StreamSupport;

/**
 * Everything a request could leave behind: the row count of every registry table, every stored
 * row of every function, deployment and alias, and every object key in the bucket. Two snapshots
 * are equal only if nothing was created, changed or deleted in between.
 */
@Singleton
public class Inventory {

  /** What the registry and the bucket hold at one moment. */
  public record Snapshot(Map<String, Long> rowCounts, Set<Object> rows, Set<String> objectKeys) {}

  private final TenantRepository tenants;
  private final ApiTokenRepository tokens;
  private final FunctionRepository functions;
  private final DeploymentRepository deployments;
  private final FunctionVersionRepository versions;
  private final AliasRepository aliases;
  private final PackageStore store;

  public Inventory(
      TenantRepository tenants,
      ApiTokenRepository tokens,
      FunctionRepository functions,
      DeploymentRepository deployments,
      FunctionVersionRepository versions,
      AliasRepository aliases,
      PackageStore store) {
    this.tenants = tenants;
    this.tokens = tokens;
    this.functions = functions;
    this.deployments = deployments;
    this.versions = versions;
    this.aliases = aliases;
    this.store = store;
  }

  public Snapshot snapshot() {
    Map<String, Long> counts = new LinkedHashMap<>();
    counts.put("tenants", tenants.count());
    counts.put("api_tokens", tokens.count());
    counts.put("functions", functions.count());
    counts.put("deployments", deployments.count());
    counts.put("function_versions", versions.count());
    counts.put("aliases", aliases.count());
    // Records compare by value: a row changed in place (a half-applied PATCH) makes the sets differ.
    Set<Object> rows = new HashSet<>();
    rows.addAll(all(functions.findAll()));
    rows.addAll(all(deployments.findAll()));
    rows.addAll(all(versions.findAll()));
    rows.addAll(all(aliases.findAll()));
    return new Snapshot(counts, rows, new TreeSet<>(store.list("")));
  }

  public List<String> objectKeys() {
    return store.list("");
  }

  private static <T> List<T> all(Iterable<T> rows) {
    return StreamSupport.stream(rows.spliterator(), false).toList();
  }
}

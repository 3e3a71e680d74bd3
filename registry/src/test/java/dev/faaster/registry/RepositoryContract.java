package dev.faaster.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.micronaut.data.model.Pageable;
import jakarta.inject.Inject;
import java.sql.SQLException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * What the registry's repositories promise, checked against a real database through the migrated
 * schema: {@link H2RepositoryTest} runs it on H2 in MySQL mode, {@link MariaDbRepositoryIT} on
 * MariaDB. Every test makes uniquely named rows and deletes them afterwards, so the suite can rerun
 * against a database that outlives it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class RepositoryContract {

  @Inject TenantRepository tenants;
  @Inject ApiTokenRepository tokens;
  @Inject FunctionRepository functions;
  @Inject DeploymentRepository deployments;
  @Inject FunctionVersionRepository versions;
  @Inject AliasRepository aliases;

  private final List<String> createdTenants = new ArrayList<>();
  private final List<String> createdAdminTokens = new ArrayList<>();

  @AfterEach
  void deleteWhatTheTestMade() {
    createdAdminTokens.forEach(tokens::deleteById);
    createdAdminTokens.clear();
    for (String tenantId : createdTenants) {
      // functions has no cascade from tenants: delete them first (they cascade to the rest).
      functions.deleteAll(functions.findByTenantIdAndNameGreaterThanOrderByName(tenantId, "", Pageable.from(0, 1000)));
      tenants.deleteById(tenantId);
    }
    createdTenants.clear();
  }

  // ---- tenants and tokens

  @Test
  void tenantIsFoundByName() {
    Tenant tenant = newTenant();

    assertThat(tenants.findByName(tenant.name())).contains(tenant);
    assertThat(tenants.existsByName(tenant.name())).isTrue();
    assertThat(tenants.existsByName(tenant.name() + "-other")).isFalse();
    assertThat(tenants.findByName(tenant.name() + "-other")).isEmpty();
  }

  @Test
  void tenantNameIsUnique() {
    Tenant tenant = newTenant();

    assertIntegrityViolation(() -> tenants.save(new Tenant(id(), tenant.name(), now())));
    assertThat(tenants.findByName(tenant.name())).map(Tenant::id).contains(tenant.id());
  }

  @Test
  void tenantsAreListedByName() {
    String prefix = unique("list");
    Tenant c = newTenant(prefix + "-c");
    Tenant a = newTenant(prefix + "-a");
    Tenant b = newTenant(prefix + "-b");

    List<String> mine =
        tenants.listOrderByName().stream().map(Tenant::name).filter(name -> name.startsWith(prefix)).toList();

    assertThat(mine).containsExactly(a.name(), b.name(), c.name());
  }

  @Test
  void tokenIsFoundByItsHash() {
    Tenant tenant = newTenant();
    ApiToken token = tokens.save(new ApiToken(id(), tenant.id(), sha256(), false, "ci", now()));

    assertThat(tokens.findByTokenHash(token.tokenHash())).contains(token);
    assertThat(tokens.findByTokenHash(sha256())).isEmpty();
  }

  @Test
  void tokenHashIsUnique() {
    Tenant tenant = newTenant();
    ApiToken token = tokens.save(new ApiToken(id(), tenant.id(), sha256(), false, null, now()));

    assertIntegrityViolation(() -> tokens.save(new ApiToken(id(), tenant.id(), token.tokenHash(), false, null, now())));
  }

  @Test
  void existsByAdminSeesAnAdminToken() {
    ApiToken admin = newAdminToken();

    assertThat(tokens.existsByAdmin(true)).isTrue();
    // Other rows may exist in a shared database: compare with what is actually stored.
    boolean anyTenantToken = tokens.findAll().stream().anyMatch(token -> !token.admin());
    assertThat(tokens.existsByAdmin(false)).isEqualTo(anyTenantToken);
    assertThat(tokens.findByTokenHash(admin.tokenHash()).orElseThrow().tenantId()).isNull();
  }

  @Test
  void deletingATenantDeletesItsTokens() {
    Tenant tenant = newTenant();
    ApiToken token = tokens.save(new ApiToken(id(), tenant.id(), sha256(), false, null, now()));

    tenants.deleteById(tenant.id());

    assertThat(tokens.findById(token.id())).isEmpty();
  }

  @Test
  void tenantWithFunctionsCannotBeDeleted() {
    Tenant tenant = newTenant();
    FunctionRecord function = newFunction(tenant, "keeps-tenant");

    assertIntegrityViolation(() -> tenants.deleteById(tenant.id()));
    assertThat(tenants.findById(tenant.id())).isPresent();
    assertThat(functions.findById(function.id())).isPresent();
  }

  // ---- functions

  @Test
  void functionRoundTripsEveryColumn() {
    Tenant tenant = newTenant();
    Instant created = now();
    FunctionRecord function =
        functions.save(
            new FunctionRecord(
                id(), tenant.id(), "round-trip", "python3.12", "app.handler", 512, 30,
                "{\"A\":\"1\"}", "{\"subnets\":[]}", "all the columns", sha256(), 1234L,
                "staging/x.zip", 7, 3L, created, created.plusMillis(5), 25, false));

    FunctionRecord read = functions.findById(function.id()).orElseThrow();

    assertThat(read).isEqualTo(function);
    assertThat(read.hasCode()).isTrue();
  }

  @Test
  void functionSavedWithoutInvocationSettingsGetsTheDefaults() {
    FunctionRecord read = functions.findById(newFunction(newTenant(), "defaults").id()).orElseThrow();

    assertThat(read.reservedConcurrency()).isNull();
    assertThat(read.snapStart()).isTrue();
  }

  @Test
  void reservedConcurrencyIsSetAndRemovedAtTheCurrentRevisionOnly() {
    FunctionRecord function = newFunction(newTenant(), "concurrency");
    Instant later = function.updatedAt().plusSeconds(60);

    assertThat(functions.updateReservedConcurrency(function.id(), function.revision() + 1, 5, later)).isZero();
    assertThat(functions.findById(function.id()).orElseThrow()).isEqualTo(function);

    assertThat(functions.updateReservedConcurrency(function.id(), function.revision(), 5, later)).isEqualTo(1);
    FunctionRecord reserved = functions.findById(function.id()).orElseThrow();
    assertThat(reserved.reservedConcurrency()).isEqualTo(5);
    assertThat(reserved.revision()).isEqualTo(function.revision() + 1);

    assertThat(functions.updateReservedConcurrency(reserved.id(), reserved.revision(), null, later)).isEqualTo(1);
    assertThat(functions.findById(function.id()).orElseThrow().reservedConcurrency()).isNull();
  }

  @Test
  void functionNameIsUniqueWithinATenant() {
    Tenant tenant = newTenant();
    newFunction(tenant, "dup");

    assertIntegrityViolation(() -> functions.save(function(tenant, "dup")));
    assertThat(functions.countByTenantId(tenant.id())).isEqualTo(1);
  }

  @Test
  void sameFunctionNameIsAllowedAcrossTenants() {
    Tenant one = newTenant();
    Tenant two = newTenant();

    FunctionRecord first = newFunction(one, "shared-name");
    FunctionRecord second = newFunction(two, "shared-name");

    assertThat(functions.findByTenantIdAndName(one.id(), "shared-name")).map(FunctionRecord::id).contains(first.id());
    assertThat(functions.findByTenantIdAndName(two.id(), "shared-name")).map(FunctionRecord::id).contains(second.id());
  }

  @Test
  void functionOfAnotherTenantIsNotFound() {
    Tenant owner = newTenant();
    Tenant other = newTenant();
    newFunction(owner, "private");

    assertThat(functions.findByTenantIdAndName(other.id(), "private")).isEmpty();
    assertThat(functions.findByTenantIdAndName(owner.id(), "private")).isPresent();
    assertThat(functions.countByTenantId(other.id())).isZero();
  }

  @Test
  void namesAreCaseSensitive() {
    Tenant tenant = newTenant();
    FunctionRecord upper = newFunction(tenant, "Fn");
    FunctionRecord lower = newFunction(tenant, "fn");

    assertThat(functions.findByTenantIdAndName(tenant.id(), "Fn")).map(FunctionRecord::id).contains(upper.id());
    assertThat(functions.findByTenantIdAndName(tenant.id(), "fn")).map(FunctionRecord::id).contains(lower.id());
    assertThat(functions.findByTenantIdAndName(tenant.id(), "FN")).isEmpty();
    assertThat(names(functions.findByTenantIdAndNameGreaterThanOrderByName(tenant.id(), "", Pageable.from(0, 10))))
        .containsExactly("Fn", "fn");
    assertThat(tenants.existsByName(tenant.name().toUpperCase())).isFalse();
  }

  @Test
  void functionsArePagedByNameAfterTheLastSeen() {
    Tenant tenant = newTenant();
    Tenant neighbour = newTenant();
    for (String name : List.of("fn-e", "fn-a", "fn-g", "fn-c", "fn-b", "fn-f", "fn-d")) {
      newFunction(tenant, name);
    }
    newFunction(neighbour, "fn-bb");
    Pageable three = Pageable.from(0, 3);

    List<String> first = names(functions.findByTenantIdAndNameGreaterThanOrderByName(tenant.id(), "", three));
    List<String> second =
        names(functions.findByTenantIdAndNameGreaterThanOrderByName(tenant.id(), first.get(2), three));
    List<String> third =
        names(functions.findByTenantIdAndNameGreaterThanOrderByName(tenant.id(), second.get(2), three));
    List<String> past = names(functions.findByTenantIdAndNameGreaterThanOrderByName(tenant.id(), "fn-g", three));

    assertThat(first).containsExactly("fn-a", "fn-b", "fn-c");
    assertThat(second).containsExactly("fn-d", "fn-e", "fn-f");
    assertThat(third).containsExactly("fn-g");
    assertThat(past).isEmpty();
    assertThat(functions.countByTenantId(tenant.id())).isEqualTo(7);
  }

  @Test
  void updateCodeAppliesOnlyAtTheCurrentRevision() {
    Tenant tenant = newTenant();
    FunctionRecord function = newFunction(tenant, "code");
    String digest = sha256();
    Instant later = function.updatedAt().plusSeconds(60);

    long stale = functions.updateCode(function.id(), function.revision() + 1, digest, 99, "staging/a.zip", later);
    assertThat(stale).isZero();
    assertThat(functions.findById(function.id()).orElseThrow().hasCode()).isFalse();

    long current = functions.updateCode(function.id(), function.revision(), digest, 99, "staging/a.zip", later);
    FunctionRecord updated = functions.findById(function.id()).orElseThrow();

    assertThat(current).isEqualTo(1);
    assertThat(updated.codeSha256()).isEqualTo(digest);
    assertThat(updated.codeSizeBytes()).isEqualTo(99L);
    assertThat(updated.codeStagingKey()).isEqualTo("staging/a.zip");
    assertThat(updated.revision()).isEqualTo(function.revision() + 1);
    assertThat(updated.updatedAt()).isEqualTo(later);
    assertThat(updated.createdAt()).isEqualTo(function.createdAt());
    assertThat(functions.existsByCodeStagingKey("staging/a.zip")).isTrue();
    // The writer that read the old revision loses.
    assertThat(functions.updateCode(function.id(), function.revision(), sha256(), 1, "staging/b.zip", later)).isZero();
    assertThat(functions.existsByCodeStagingKey("staging/b.zip")).isFalse();
  }

  @Test
  void updateConfigurationAppliesOnlyAtTheCurrentRevision() {
    Tenant tenant = newTenant();
    FunctionRecord function = newFunction(tenant, "config");
    Instant later = function.updatedAt().plusSeconds(60);

    long stale =
        functions.updateConfiguration(
            function.id(), function.revision() - 1, "java17", "x.Handler", 1024, 60, "{}", "{}", "stale", false, later);
    assertThat(stale).isZero();
    assertThat(functions.findById(function.id()).orElseThrow()).isEqualTo(function);

    long current =
        functions.updateConfiguration(
            function.id(), function.revision(), "java17", null, 1024, 60, "{\"B\":\"2\"}", "{\"v\":1}", null, false, later);
    FunctionRecord updated = functions.findById(function.id()).orElseThrow();

    assertThat(current).isEqualTo(1);
    assertThat(updated.runtime()).isEqualTo("java17");
    assertThat(updated.handler()).isNull();
    assertThat(updated.memoryMb()).isEqualTo(1024);
    assertThat(updated.timeoutSeconds()).isEqualTo(60);
    assertThat(updated.environment()).isEqualTo("{\"B\":\"2\"}");
    assertThat(updated.vpcConfig()).isEqualTo("{\"v\":1}");
    assertThat(updated.description()).isNull();
    assertThat(updated.snapStart()).isFalse();
    assertThat(updated.revision()).isEqualTo(function.revision() + 1);
    assertThat(updated.updatedAt()).isEqualTo(later);
    assertThat(updated.createdAt()).isEqualTo(function.createdAt());
    assertThat(updated.nextVersion()).isEqualTo(function.nextVersion());
  }

  @Test
  void reserveVersionHandsOutEachNumberOnce() {
    Tenant tenant = newTenant();
    FunctionRecord function = newFunction(tenant, "versions");
    FunctionRecord writerA = functions.findById(function.id()).orElseThrow();
    FunctionRecord writerB = functions.findById(function.id()).orElseThrow();
    Instant later = function.updatedAt().plusSeconds(1);

    assertThat(functions.reserveVersion(writerA.id(), writerA.revision(), later)).isEqualTo(1);
    assertThat(functions.reserveVersion(writerB.id(), writerB.revision(), later)).isZero();

    FunctionRecord reread = functions.findById(function.id()).orElseThrow();
    assertThat(reread.nextVersion()).isEqualTo(writerA.nextVersion() + 1);
    assertThat(reread.revision()).isEqualTo(writerA.revision() + 1);
    assertThat(functions.reserveVersion(reread.id(), reread.revision(), later)).isEqualTo(1);
    assertThat(functions.findById(function.id()).orElseThrow().nextVersion()).isEqualTo(writerA.nextVersion() + 2);
  }

  @Test
  void deletingAFunctionDeletesItsVersionsAliasesAndDeployments() {
    Tenant tenant = newTenant();
    FunctionRecord function = newFunction(tenant, "doomed");
    FunctionRecord survivor = newFunction(tenant, "survivor");
    String digest = sha256();
    Deployment deployment = newDeployment(function, 1, digest, DeploymentStatus.SUCCEEDED);
    FunctionVersion version = newVersion(function, deployment);
    Alias alias = newAlias(function, "live", 1, null);
    Deployment otherDeployment = newDeployment(survivor, 1, digest, DeploymentStatus.SUCCEEDED);
    FunctionVersion otherVersion = newVersion(survivor, otherDeployment);

    functions.deleteById(function.id());

    assertThat(functions.findById(function.id())).isEmpty();
    assertThat(deployments.findById(deployment.id())).isEmpty();
    assertThat(versions.findById(version.id())).isEmpty();
    assertThat(aliases.findById(alias.id())).isEmpty();
    assertThat(deployments.findById(otherDeployment.id())).isPresent();
    assertThat(versions.findById(otherVersion.id())).isPresent();
  }

  // ---- deployments

  @Test
  void finishMovesAPendingDeploymentOnce() {
    FunctionRecord function = newFunction(newTenant(), "deploy");
    Deployment deployment = newDeployment(function, 1, sha256(), DeploymentStatus.PENDING);
    Instant later = deployment.updatedAt().plusSeconds(5);

    long first = deployments.finish(deployment.id(), DeploymentStatus.SUCCEEDED, null, later);
    long second = deployments.finish(deployment.id(), DeploymentStatus.FAILED, "too late", later.plusSeconds(5));
    Deployment finished = deployments.findById(deployment.id()).orElseThrow();

    assertThat(first).isEqualTo(1);
    assertThat(second).isZero();
    assertThat(finished.status()).isEqualTo(DeploymentStatus.SUCCEEDED);
    assertThat(finished.failureReason()).isNull();
    assertThat(finished.updatedAt()).isEqualTo(later);
  }

  @Test
  void finishRecordsTheFailureReason() {
    FunctionRecord function = newFunction(newTenant(), "deploy-fails");
    Deployment deployment = newDeployment(function, 1, sha256(), DeploymentStatus.PENDING);

    long moved = deployments.finish(deployment.id(), DeploymentStatus.FAILED, "VM did not boot", now());

    assertThat(moved).isEqualTo(1);
    Deployment failed = deployments.findById(deployment.id()).orElseThrow();
    assertThat(failed.status()).isEqualTo(DeploymentStatus.FAILED);
    assertThat(failed.failureReason()).isEqualTo("VM did not boot");
    assertThat(deployments.finish(deployment.id(), DeploymentStatus.SUCCEEDED, null, now())).isZero();
  }

  @Test
  void deploymentsAreFoundByVersionStatusAndNewest() {
    FunctionRecord function = newFunction(newTenant(), "history");
    Deployment v1 = newDeployment(function, 1, sha256(), DeploymentStatus.SUCCEEDED);
    Deployment v3 = newDeployment(function, 3, sha256(), DeploymentStatus.PENDING);
    Deployment v2 = newDeployment(function, 2, sha256(), DeploymentStatus.FAILED);

    assertThat(deployments.findByFunctionIdAndVersion(function.id(), 2)).map(Deployment::id).contains(v2.id());
    assertThat(deployments.findByFunctionIdAndVersion(function.id(), 4)).isEmpty();
    assertThat(deployments.findFirstByFunctionIdOrderByVersionDesc(function.id())).map(Deployment::id).contains(v3.id());
    assertThat(deployments.findByFunctionIdAndStatus(function.id(), DeploymentStatus.SUCCEEDED))
        .extracting(Deployment::id)
        .containsExactly(v1.id());
    assertThat(deployments.findByFunctionIdAndStatus(function.id(), DeploymentStatus.PENDING))
        .extracting(Deployment::id)
        .containsExactly(v3.id());
  }

  @Test
  void newestDeploymentOfAFunctionWithoutDeploymentsIsEmpty() {
    FunctionRecord function = newFunction(newTenant(), "never-deployed");

    assertThat(deployments.findFirstByFunctionIdOrderByVersionDesc(function.id())).isEmpty();
  }

  @Test
  void deploymentVersionIsUniquePerFunction() {
    FunctionRecord function = newFunction(newTenant(), "one-per-version");
    newDeployment(function, 1, sha256(), DeploymentStatus.FAILED);

    assertIntegrityViolation(() -> deployments.save(deployment(function, 1, sha256(), DeploymentStatus.PENDING)));
  }

  @Test
  void digestIsStillNeededOnlyByAnotherDeployThatHasNotFailed() {
    FunctionRecord function = newFunction(newTenant(), "gc-digest");
    String digest = sha256();
    Deployment mine = newDeployment(function, 1, digest, DeploymentStatus.FAILED);
    newDeployment(function, 2, digest, DeploymentStatus.FAILED);
    newDeployment(function, 3, sha256(), DeploymentStatus.SUCCEEDED);

    // Only failed deploys (and mine) use the digest: its object may go.
    assertThat(deployments.existsByCodeSha256AndStatusNotEqualAndIdNotEqual(digest, DeploymentStatus.FAILED, mine.id()))
        .isFalse();

    Deployment inFlight = newDeployment(function, 4, digest, DeploymentStatus.PENDING);
    assertThat(deployments.existsByCodeSha256AndStatusNotEqualAndIdNotEqual(digest, DeploymentStatus.FAILED, mine.id()))
        .isTrue();
    // The in-flight deploy itself is excluded when it asks.
    assertThat(
            deployments.existsByCodeSha256AndStatusNotEqualAndIdNotEqual(
                digest, DeploymentStatus.FAILED, inFlight.id()))
        .isFalse();
  }

  @Test
  void stagedObjectIsReadOnlyByPendingDeploys() {
    FunctionRecord function = newFunction(newTenant(), "gc-staging");
    Deployment deployment = newDeployment(function, 1, sha256(), DeploymentStatus.PENDING);

    assertThat(deployments.existsByStagingKeyAndStatus(deployment.stagingKey(), DeploymentStatus.PENDING)).isTrue();
    assertThat(deployments.existsByStagingKeyAndStatus(deployment.stagingKey() + "x", DeploymentStatus.PENDING))
        .isFalse();

    deployments.finish(deployment.id(), DeploymentStatus.SUCCEEDED, null, now());

    assertThat(deployments.existsByStagingKeyAndStatus(deployment.stagingKey(), DeploymentStatus.PENDING)).isFalse();
  }

  // ---- versions

  @Test
  void versionsAreFoundByNumberDeploymentAndOrder() {
    FunctionRecord function = newFunction(newTenant(), "published");
    FunctionVersion v2 = newVersion(function, newDeployment(function, 2, sha256(), DeploymentStatus.SUCCEEDED));
    FunctionVersion v1 = newVersion(function, newDeployment(function, 1, sha256(), DeploymentStatus.SUCCEEDED));

    assertThat(versions.findByFunctionIdAndVersion(function.id(), 1)).contains(v1);
    assertThat(versions.findByFunctionIdAndVersion(function.id(), 3)).isEmpty();
    assertThat(versions.findByDeploymentId(v2.deploymentId())).contains(v2);
    assertThat(versions.findByFunctionIdOrderByVersion(function.id())).containsExactly(v1, v2);
    assertThat(versions.findFirstByFunctionIdOrderByVersionDesc(function.id())).contains(v2);
    assertThat(versions.findByFunctionId(function.id())).containsExactlyInAnyOrder(v1, v2);
    assertThat(versions.existsByFunctionIdAndVersion(function.id(), 2)).isTrue();
    assertThat(versions.existsByFunctionIdAndVersion(function.id(), 3)).isFalse();
  }

  @Test
  void versionNumberAndDeploymentAreUnique() {
    FunctionRecord function = newFunction(newTenant(), "unique-version");
    Deployment deployment = newDeployment(function, 1, sha256(), DeploymentStatus.SUCCEEDED);
    FunctionVersion v1 = newVersion(function, deployment);
    Deployment other = newDeployment(function, 2, sha256(), DeploymentStatus.SUCCEEDED);

    // Same number, different deployment.
    assertIntegrityViolation(() -> versions.save(version(function, other, v1.version())));
    // Same deployment, different number.
    assertIntegrityViolation(() -> versions.save(version(function, deployment, 2)));
  }

  @Test
  void digestIsStillUsedByAnotherVersion() {
    Tenant tenant = newTenant();
    FunctionRecord function = newFunction(tenant, "gc-version");
    String digest = sha256();
    Deployment first = newDeployment(function, 1, digest, DeploymentStatus.SUCCEEDED);
    newVersion(function, first);

    assertThat(versions.existsByCodeSha256(digest)).isTrue();
    assertThat(versions.existsByCodeSha256(sha256())).isFalse();
    assertThat(versions.existsByCodeSha256AndDeploymentIdNotEqual(digest, first.id())).isFalse();

    Deployment second = newDeployment(function, 2, digest, DeploymentStatus.SUCCEEDED);
    newVersion(function, second);

    assertThat(versions.existsByCodeSha256AndDeploymentIdNotEqual(digest, first.id())).isTrue();
  }

  @Test
  void onlyTheOwningTenantHasAVersionWithADigest() {
    Tenant owner = newTenant();
    Tenant other = newTenant();
    FunctionRecord function = newFunction(owner, "cached");
    String digest = sha256();
    newVersion(function, newDeployment(function, 1, digest, DeploymentStatus.SUCCEEDED));

    assertThat(versions.existsByTenantIdAndCodeSha256(owner.id(), digest)).isTrue();
    assertThat(versions.existsByTenantIdAndCodeSha256(other.id(), digest)).isFalse();
  }

  @Test
  void deleteByDeploymentIdRemovesOnlyThatVersion() {
    FunctionRecord function = newFunction(newTenant(), "compensated");
    Deployment undone = newDeployment(function, 1, sha256(), DeploymentStatus.FAILED);
    newVersion(function, undone);
    FunctionVersion kept = newVersion(function, newDeployment(function, 2, sha256(), DeploymentStatus.SUCCEEDED));

    assertThat(versions.deleteByDeploymentId(undone.id())).isEqualTo(1);
    assertThat(versions.deleteByDeploymentId(undone.id())).isZero();
    assertThat(versions.findByFunctionId(function.id())).containsExactly(kept);
  }

  // ---- aliases

  @Test
  void aliasesAreFoundByNameAndListedByName() {
    FunctionRecord function = newFunction(newTenant(), "aliased");
    Alias prod = newAlias(function, "prod", 1, null);
    Alias beta = newAlias(function, "beta", 2, null);

    assertThat(aliases.findByFunctionIdAndName(function.id(), "prod")).contains(prod);
    assertThat(aliases.findByFunctionIdAndName(function.id(), "dev")).isEmpty();
    assertThat(aliases.findByFunctionIdOrderByName(function.id())).containsExactly(beta, prod);
  }

  @Test
  void aliasNameIsUniquePerFunction() {
    Tenant tenant = newTenant();
    FunctionRecord function = newFunction(tenant, "alias-unique");
    FunctionRecord other = newFunction(tenant, "alias-unique-2");
    newAlias(function, "live", 1, null);

    assertIntegrityViolation(() -> aliases.save(alias(function, "live", 2, null)));
    assertThat(aliases.save(alias(other, "live", 1, null))).isNotNull();
    assertThat(aliases.findByFunctionIdAndName(other.id(), "live")).isPresent();
  }

  @Test
  void repointAppliesOnlyAtTheCurrentRevision() {
    FunctionRecord function = newFunction(newTenant(), "repoint");
    Alias alias = newAlias(function, "live", 1, null);
    Instant later = alias.updatedAt().plusSeconds(30);

    assertThat(aliases.repoint(alias.id(), alias.revision() + 1, 2, 100, null, null, null, later)).isZero();
    assertThat(aliases.findById(alias.id()).orElseThrow()).isEqualTo(alias);

    long moved = aliases.repoint(alias.id(), alias.revision(), 2, 90, 3, 10, "canary", later);
    Alias split = aliases.findById(alias.id()).orElseThrow();

    assertThat(moved).isEqualTo(1);
    assertThat(split.version()).isEqualTo(2);
    assertThat(split.weight()).isEqualTo(90);
    assertThat(split.additionalVersion()).isEqualTo(3);
    assertThat(split.additionalWeight()).isEqualTo(10);
    assertThat(split.description()).isEqualTo("canary");
    assertThat(split.revision()).isEqualTo(alias.revision() + 1);
    assertThat(split.updatedAt()).isEqualTo(later);
    assertThat(split.createdAt()).isEqualTo(alias.createdAt());

    // Removing the split clears the second version.
    assertThat(aliases.repoint(alias.id(), split.revision(), 3, 100, null, null, null, later)).isEqualTo(1);
    Alias single = aliases.findById(alias.id()).orElseThrow();
    assertThat(single.additionalVersion()).isNull();
    assertThat(single.additionalWeight()).isNull();
    assertThat(single.description()).isNull();
  }

  @Test
  void aliasRoutesToItsVersionAndItsAdditionalVersion() {
    Tenant tenant = newTenant();
    FunctionRecord function = newFunction(tenant, "routed");
    FunctionRecord other = newFunction(tenant, "routed-other");
    newAlias(function, "canary", 1, 2);
    newAlias(other, "live", 5, null);

    assertThat(aliases.routesTo(function.id(), 1)).isTrue();
    assertThat(aliases.routesTo(function.id(), 2)).isTrue();
    assertThat(aliases.routesTo(function.id(), 3)).isFalse();
    // Another function's alias on version 5 doesn't protect this function's version 5.
    assertThat(aliases.routesTo(function.id(), 5)).isFalse();
    assertThat(aliases.routesTo(other.id(), 5)).isTrue();
  }

  @Test
  void functionWithoutAliasesRoutesNowhere() {
    FunctionRecord function = newFunction(newTenant(), "unrouted");

    assertThat(aliases.routesTo(function.id(), 1)).isFalse();
  }

  // ---- fixtures

  private Tenant newTenant() {
    return newTenant(unique("tenant"));
  }

  private Tenant newTenant(String name) {
    Tenant tenant = tenants.save(new Tenant(id(), name, now()));
    createdTenants.add(tenant.id());
    return tenant;
  }

  private ApiToken newAdminToken() {
    ApiToken token = tokens.save(new ApiToken(id(), null, sha256(), true, "bootstrap", now()));
    createdAdminTokens.add(token.id());
    return token;
  }

  private FunctionRecord newFunction(Tenant tenant, String name) {
    return functions.save(function(tenant, name));
  }

  private static FunctionRecord function(Tenant tenant, String name) {
    Instant now = now();
    return new FunctionRecord(
        id(), tenant.id(), name, "python3.12", "app.handler", 128, 3, "{}", "{}", "a function",
        null, null, null, 1, 0L, now, now);
  }

  private Deployment newDeployment(FunctionRecord function, int version, String digest, DeploymentStatus status) {
    return deployments.save(deployment(function, version, digest, status));
  }

  private static Deployment deployment(FunctionRecord function, int version, String digest, DeploymentStatus status) {
    Instant now = now();
    return new Deployment(
        id(), function.tenantId(), function.id(), function.name(), version, "deploy-" + id(), status, digest, 42L,
        "staging/" + function.tenantId() + "/" + function.id() + "/" + digest + ".zip", function.runtime(),
        function.handler(), function.memoryMb(), function.timeoutSeconds(), function.environment(),
        function.vpcConfig(), function.description(), null, now, now);
  }

  private FunctionVersion newVersion(FunctionRecord function, Deployment deployment) {
    return versions.save(version(function, deployment, deployment.version()));
  }

  private static FunctionVersion version(FunctionRecord function, Deployment deployment, int number) {
    return new FunctionVersion(
        id(), function.tenantId(), function.id(), deployment.id(), number, deployment.codeSha256(),
        deployment.codeSizeBytes(), "packages/sha256/" + deployment.codeSha256() + ".zip", deployment.runtime(),
        deployment.handler(), deployment.memoryMb(), deployment.timeoutSeconds(), deployment.environment(),
        deployment.vpcConfig(), deployment.description(), now());
  }

  private Alias newAlias(FunctionRecord function, String name, int version, Integer additionalVersion) {
    return aliases.save(alias(function, name, version, additionalVersion));
  }

  private static Alias alias(FunctionRecord function, String name, int version, Integer additionalVersion) {
    Instant now = now();
    Integer additionalWeight = additionalVersion == null ? null : 20;
    int weight = additionalVersion == null ? 100 : 80;
    return new Alias(
        id(), function.tenantId(), function.id(), name, version, weight, additionalVersion, additionalWeight, null, 0L,
        now, now);
  }

  private static List<String> names(List<FunctionRecord> page) {
    return page.stream().map(FunctionRecord::name).toList();
  }

  /** The columns are TIMESTAMP(3): compare at the precision the database keeps. */
  private static Instant now() {
    return Instant.now().truncatedTo(ChronoUnit.MILLIS);
  }

  private static String id() {
    return UUID.randomUUID().toString();
  }

  private static String unique(String prefix) {
    return prefix + "-" + UUID.randomUUID().toString().substring(0, 13);
  }

  private static String sha256() {
    byte[] bytes = new byte[32];
    ThreadLocalRandom.current().nextBytes(bytes);
    return HexFormat.of().formatHex(bytes);
  }

  /** A unique or foreign-key constraint refused the write (SQLSTATE class 23 on H2 and MariaDB). */
  private static void assertIntegrityViolation(ThrowingCallable write) {
    Throwable thrown = catchThrowable(write);
    assertThat(thrown).as("the write should have been refused").isNotNull();
    Throwable cause = thrown;
    while (cause != null && !(cause instanceof SQLException)) {
      cause = cause.getCause();
    }
    assertThat(cause).as("SQLException under %s", thrown).isInstanceOf(SQLException.class);
    assertThat(((SQLException) cause).getSQLState()).startsWith("23");
  }
}

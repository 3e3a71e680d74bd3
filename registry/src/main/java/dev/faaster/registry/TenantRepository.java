package dev.faaster.registry;

import io.micronaut.data.jdbc.annotation.JdbcRepository;
import io.micronaut.data.model.query.builder.sql.Dialect;
import io.micronaut.data.repository.CrudRepository;
import java.util.List;
import java.util.Optional;

/** Tenants. The dialect here is overridden at runtime by {@code datasources.default.dialect}. */
@JdbcRepository(dialect = Dialect.H2)
public interface TenantRepository extends CrudRepository<Tenant, String> {

  Optional<Tenant> findByName(String name);

  boolean existsByName(String name);

  List<Tenant> listOrderByName();
}

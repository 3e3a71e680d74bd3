package dev.faaster.registry;

import io.micronaut.data.jdbc.annotation.JdbcRepository;
import io.micronaut.data.model.query.builder.sql.Dialect;
import io.micronaut.data.repository.CrudRepository;
import java.util.Optional;

/** Bearer tokens, looked up by the sha256 of the presented secret. */
@JdbcRepository(dialect = Dialect.H2)
public interface ApiTokenRepository extends CrudRepository<ApiToken, String> {

  Optional<ApiToken> findByTokenHash(String tokenHash);

  boolean existsByAdmin(boolean admin);
}

package dev.faaster.registry;

import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import io.micronaut.test.support.TestPropertyProvider;
import java.util.Map;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The router lease tables' contract on a real MariaDB with the runtime dialect switched to MYSQL, as
 * {@link MariaDbRepositoryIT} (same FAASTER_TEST_MYSQL_URL; skipped without it).
 */
@ExtendWith(MariaDbRepositoryIT.DatabaseConfigured.class)
@MicronautTest(transactional = false)
class MariaDbRouterLeaseRepositoryIT extends RouterLeaseRepositoryContract implements TestPropertyProvider {

  @Override
  public Map<String, String> getProperties() {
    return Map.of(
        "datasources.default.url", System.getenv(MariaDbRepositoryIT.URL),
        "datasources.default.username", System.getenv().getOrDefault("FAASTER_TEST_MYSQL_USER", "faaster"),
        "datasources.default.password", System.getenv().getOrDefault("FAASTER_TEST_MYSQL_PASSWORD", "faaster"),
        "datasources.default.driver-class-name", "org.mariadb.jdbc.Driver",
        "datasources.default.dialect", "MYSQL");
  }
}

package dev.faaster.registry;

import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import io.micronaut.test.support.TestPropertyProvider;
import java.util.Map;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The repository contract on a real MariaDB (or MySQL), with the runtime dialect switched to MYSQL
 * as production does. Needs FAASTER_TEST_MYSQL_URL (and _USER, _PASSWORD, default faaster/faaster);
 * without it the class is skipped, unless FAASTER_TEST_REQUIRE_STACK=true, when a missing database
 * is a failure.
 */
@ExtendWith(MariaDbRepositoryIT.DatabaseConfigured.class)
@MicronautTest(transactional = false)
class MariaDbRepositoryIT extends RepositoryContract implements TestPropertyProvider {

  static final String URL = "FAASTER_TEST_MYSQL_URL";

  @Override
  public Map<String, String> getProperties() {
    return Map.of(
        "datasources.default.url", System.getenv(URL),
        "datasources.default.username", System.getenv().getOrDefault("FAASTER_TEST_MYSQL_USER", "faaster"),
        "datasources.default.password", System.getenv().getOrDefault("FAASTER_TEST_MYSQL_PASSWORD", "faaster"),
        "datasources.default.driver-class-name", "org.mariadb.jdbc.Driver",
        "datasources.default.dialect", "MYSQL");
  }

  /** Evaluated before the application context starts, so a missing database never reaches it. */
  static final class DatabaseConfigured implements ExecutionCondition {

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
      String url = System.getenv(URL);
      if (url != null && !url.isBlank()) {
        return ConditionEvaluationResult.enabled(URL + "=" + url);
      }
      String why = URL + " is not set: no MariaDB to run the repository contract against";
      if (Boolean.parseBoolean(System.getenv("FAASTER_TEST_REQUIRE_STACK"))) {
        throw new IllegalStateException(why + ", and FAASTER_TEST_REQUIRE_STACK=true requires one");
      }
      return ConditionEvaluationResult.disabled(
          why + "; skipped (set it, e.g. jdbc:mariadb://127.0.0.1:3306/faaster_test)");
    }
  }
}

package dev.faaster.api.auth;

import dev.faaster.api.ApiRole;
import dev.faaster.registry.ApiToken;
import dev.faaster.registry.ApiTokenRepository;
import io.micronaut.context.annotation.Requires;
import io.micronaut.context.annotation.Value;
import io.micronaut.context.event.StartupEvent;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.runtime.event.annotation.EventListener;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes sure an operator can get in: on first start, creates an admin token and writes it to a file
 * only root can read (./faaster up prints it). {@code FAASTER_ADMIN_TOKEN} instead installs a token
 * chosen by the operator (production, where no one reads a file on the host).
 */
@Singleton
@Requires(property = "faaster.roles", pattern = ApiRole.PATTERN)
public class AdminTokenBootstrap {

  private static final Logger log = LoggerFactory.getLogger(AdminTokenBootstrap.class);

  private final ApiTokenRepository tokens;
  private final Path tokenFile;
  private final @Nullable String configuredToken;
  private final Clock clock;

  public AdminTokenBootstrap(
      ApiTokenRepository tokens,
      @Value("${faaster.auth.admin-token-file}") String tokenFile,
      @Nullable @Value("${faaster.auth.admin-token:}") String configuredToken,
      Clock clock) {
    this.tokens = tokens;
    this.tokenFile = Path.of(tokenFile);
    this.configuredToken = configuredToken == null || configuredToken.isBlank() ? null : configuredToken;
    this.clock = clock;
  }

  @EventListener
  void onStartup(StartupEvent event) {
    ensureAdminToken();
  }

  /** Returns the admin secret this call created or installed, or null when one already existed. */
  public @Nullable String ensureAdminToken() {
    if (configuredToken != null) {
      if (tokens.findByTokenHash(Tokens.hash(configuredToken)).isEmpty()) {
        save(configuredToken, "configured admin token");
        log.info("installed the admin token from FAASTER_ADMIN_TOKEN");
        return configuredToken;
      }
      return null;
    }
    if (tokens.existsByAdmin(true)) {
      if (!Files.exists(tokenFile)) {
        log.warn("an admin token exists but {} is gone; set FAASTER_ADMIN_TOKEN to install a new one", tokenFile);
      }
      return null;
    }
    String secret = Tokens.newSecret();
    save(secret, "bootstrap admin token");
    write(secret);
    log.info("created the admin token; it is in {}", tokenFile.toAbsolutePath());
    return secret;
  }

  private void save(String secret, String description) {
    tokens.save(new ApiToken(UUID.randomUUID().toString(), null, Tokens.hash(secret), true, description, clock.instant()));
  }

  private void write(String secret) {
    try {
      Path parent = tokenFile.toAbsolutePath().getParent();
      Files.createDirectories(parent);
      Path temporary = Files.createTempFile(parent, "admin-token", ".tmp");
      Files.setPosixFilePermissions(temporary, PosixFilePermissions.fromString("rw-------"));
      Files.writeString(temporary, secret + "\n", StandardCharsets.UTF_8);
      Files.move(temporary, tokenFile, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the admin token to " + tokenFile + ": " + e.getMessage(), e);
    }
  }
}

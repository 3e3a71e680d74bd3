package dev.faaster.api.functions;

import io.micronaut.core.type.Argument;
import io.micronaut.json.JsonMapper;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.TreeMap;

/** Environment and VPC configuration as the JSON text the registry stores. */
@Singleton
public class ConfigurationJson {

  private static final Argument<Map<String, String>> ENVIRONMENT = Argument.mapOf(String.class, String.class);

  private final JsonMapper json;

  public ConfigurationJson(JsonMapper json) {
    this.json = json;
  }

  /** Sorted, so equal environments are equal strings (publish compares them). */
  public String environment(Map<String, String> environment) {
    return write(new TreeMap<>(environment));
  }

  public Map<String, String> environment(String text) {
    try {
      return json.readValue(text, ENVIRONMENT);
    } catch (IOException e) {
      throw new UncheckedIOException("stored environment is not JSON", e);
    }
  }

  public String vpc(VpcConfig vpc) {
    return write(vpc);
  }

  public VpcConfig vpc(String text) {
    try {
      return json.readValue(text, VpcConfig.class);
    } catch (IOException e) {
      throw new UncheckedIOException("stored VPC configuration is not JSON", e);
    }
  }

  private String write(Object value) {
    try {
      return json.writeValueAsString(value);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}

package dev.faaster.bench;

import io.micronaut.json.JsonMapper;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/** bench/results/NAME.json: the command, the date, the machine and every figure. */
public final class BenchmarkReport {

  private final String name;
  private final Map<String, Object> figures = new LinkedHashMap<>();
  private final Map<String, Object> parameters = new LinkedHashMap<>();

  public BenchmarkReport(String name) {
    this.name = name;
  }

  public BenchmarkReport parameter(String key, Object value) {
    parameters.put(key, value);
    return this;
  }

  public BenchmarkReport figure(String key, Object value) {
    figures.put(key, value);
    return this;
  }

  public Path write(JsonMapper json, Path directory) throws IOException {
    Map<String, Object> document = new LinkedHashMap<>();
    document.put("benchmark", name);
    document.put("command", "./faaster bench " + name);
    document.put("date", Instant.now().toString());
    document.put("machine", machine());
    document.put("parameters", parameters);
    document.put("figures", figures);
    Files.createDirectories(directory);
    Path file = directory.resolve(name + ".json");
    Files.writeString(file, json.writeValueAsString(document) + "\n");
    return file;
  }

  private static Map<String, Object> machine() {
    Map<String, Object> machine = new LinkedHashMap<>();
    machine.put("cores", Runtime.getRuntime().availableProcessors());
    var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    machine.put("memoryBytes", os.getTotalMemorySize());
    machine.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
    machine.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
    return machine;
  }
}

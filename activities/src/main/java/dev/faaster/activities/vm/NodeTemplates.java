package dev.faaster.activities.vm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.faaster.vm.Accelerator;
import dev.faaster.vm.Flavor;
import dev.faaster.vm.TemplateImage;
import dev.faaster.vm.VmDefinition;
import dev.faaster.vm.VmSettings;
import io.micronaut.context.annotation.Requires;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The templates whose files this node holds, by registry id. Each is described by a small JSON
 * file beside its state in /dev/shm, so a restarted node agent finds the templates it built
 * (/dev/shm outlives the process, not the machine; after a reboot the files and descriptions are
 * gone together and the templates are rebuilt).
 */
@Singleton
@Requires(property = "faaster.roles", pattern = NodeRole.PATTERN)
public class NodeTemplates {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path directory;
  private final Map<String, TemplateImage> templates = new ConcurrentHashMap<>();

  public NodeTemplates(VmSettings settings) {
    this.directory = settings.shmDir();
  }

  public void register(String templateId, TemplateImage image) {
    templates.put(templateId, image);
    try {
      Files.createDirectories(directory);
      Path temporary = descriptionOf(templateId).resolveSibling(templateId + ".json.tmp");
      Files.writeString(temporary, JSON.writeValueAsString(describe(image)));
      Files.move(temporary, descriptionOf(templateId), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot describe template " + templateId + ": " + e.getMessage(), e);
    }
  }

  public Optional<TemplateImage> get(String templateId) {
    TemplateImage known = templates.get(templateId);
    if (known != null) {
      return Optional.of(known);
    }
    Path description = descriptionOf(templateId);
    if (!Files.isRegularFile(description)) {
      return Optional.empty();
    }
    try {
      TemplateImage image = read(JSON.readTree(description.toFile()));
      if (!Files.exists(image.stateFile()) || !Files.exists(image.memoryFile())) {
        return Optional.empty();
      }
      templates.put(templateId, image);
      return Optional.of(image);
    } catch (IOException e) {
      throw new UncheckedIOException("unreadable template description " + description, e);
    }
  }

  public Optional<TemplateImage> remove(String templateId) {
    Optional<TemplateImage> image = get(templateId);
    templates.remove(templateId);
    try {
      Files.deleteIfExists(descriptionOf(templateId));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return image;
  }

  /**
   * Ids of the templates described in this node's directory, whether or not this process has
   * used them (descriptions outlive the process, as the files do).
   */
  public java.util.Set<String> described() {
    if (!Files.isDirectory(directory)) {
      return java.util.Set.of();
    }
    try (java.util.stream.Stream<Path> files = Files.list(directory)) {
      return files.map(f -> f.getFileName().toString())
          .filter(n -> n.endsWith(".json"))
          .map(n -> n.substring(0, n.length() - ".json".length()))
          .filter(id -> id.matches("[A-Za-z0-9-]{1,64}"))
          .collect(java.util.stream.Collectors.toUnmodifiableSet());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list template descriptions in " + directory, e);
    }
  }

  /** Names of the template domains this node knows (the reconciler leaves them alone). */
  public Map<String, TemplateImage> known() {
    return Map.copyOf(templates);
  }

  private Path descriptionOf(String templateId) {
    if (!templateId.matches("[A-Za-z0-9-]{1,64}")) {
      throw new IllegalArgumentException("invalid template id " + templateId);
    }
    return directory.resolve(templateId + ".json");
  }

  private static ObjectNode describe(TemplateImage t) {
    ObjectNode node = JSON.createObjectNode();
    VmDefinition d = t.definition();
    node.put("id", t.id()).put("runtime", t.runtime()).put("stateFile", t.stateFile().toString())
        .put("stateBytes", t.stateBytes()).put("qemuVersion", t.qemuVersion()).put("kernelSha256", t.kernelSha256())
        .put("initramfsSha256", t.initramfsSha256()).put("builtAt", t.builtAt().toString())
        .put("bootToAgentMillis", t.bootToAgent().toMillis()).put("saveMillis", t.save().toMillis())
        .put("resumesOnLoad", t.resumesOnLoad());
    node.putObject("definition").put("accelerator", d.accelerator().name()).put("memoryMiB", d.flavor().memoryMiB())
        .put("vcpus", d.flavor().vcpus()).put("machine", d.machine()).put("emulator", d.emulator().toString())
        .put("kernel", d.kernel().toString()).put("initramfs", d.initramfs().toString()).put("cmdline", d.cmdline())
        .put("memoryFile", d.memoryFile().toString()).put("network", d.network()).put("codeShare", d.codeShare());
    return node;
  }

  private static TemplateImage read(JsonNode n) {
    JsonNode d = n.get("definition");
    VmDefinition definition =
        new VmDefinition(
            Accelerator.valueOf(d.get("accelerator").asText()),
            new Flavor(d.get("memoryMiB").asInt(), d.get("vcpus").asInt()),
            d.get("machine").asText(),
            Path.of(d.get("emulator").asText()),
            Path.of(d.get("kernel").asText()),
            Path.of(d.get("initramfs").asText()),
            d.get("cmdline").asText(),
            Path.of(d.get("memoryFile").asText()),
            d.get("network").asBoolean(),
            d.path("codeShare").asBoolean(false));
    return new TemplateImage(
        n.get("id").asText(),
        n.get("runtime").asText(),
        definition,
        Path.of(n.get("stateFile").asText()),
        n.get("stateBytes").asLong(),
        n.get("qemuVersion").asText(),
        n.get("kernelSha256").asText(),
        n.get("initramfsSha256").asText(),
        Instant.parse(n.get("builtAt").asText()),
        Duration.ofMillis(n.get("bootToAgentMillis").asLong()),
        Duration.ofMillis(n.get("saveMillis").asLong()),
        n.get("resumesOnLoad").asBoolean());
  }
}

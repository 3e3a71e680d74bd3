package dev.faaster.registry;

import io.micronaut.data.annotation.Id;
import io.micronaut.data.annotation.MappedEntity;
import java.time.Instant;

/**
 * A saved, warmed micro VM of one runtime on one node: its file-backed memory and device state,
 * and every input the state depends on. {@code status} is READY or RETIRED.
 */
@MappedEntity("templates")
public record TemplateRecord(
    @Id String id,
    String nodeId,
    String runtime,
    String inputsDigest,
    String kernelDigest,
    String initramfsDigest,
    String qemuVersion,
    String machine,
    String accelerator,
    int memoryMb,
    String memoryPath,
    String statePath,
    long stateBytes,
    long bootMillis,
    String status,
    Instant createdAt) {

  public static final String READY = "READY";
  public static final String RETIRED = "RETIRED";
}

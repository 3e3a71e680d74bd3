package dev.faaster.activities.vm;

import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.core.bind.annotation.Bindable;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * This node's identity and what it keeps ready.
 *
 * @param id node id; names its task queue
 * @param runtimes runtimes whose templates the node builds at start
 * @param imageBuilder the script that builds (or finds, when cached) a runtime's guest image
 * @param imagesDir where guest images live
 * @param reconcileInterval how often the VM reconciler compares domains with the registry
 */
@ConfigurationProperties("faaster.node")
public record NodeConfiguration(
    @Bindable(defaultValue = "local") String id,
    @Bindable(defaultValue = "provided,python3") List<String> runtimes,
    @Bindable(defaultValue = "infra/guest/build-image.sh") Path imageBuilder,
    @Bindable(defaultValue = ".data/images") Path imagesDir,
    @Bindable(defaultValue = "30s") Duration reconcileInterval) {}

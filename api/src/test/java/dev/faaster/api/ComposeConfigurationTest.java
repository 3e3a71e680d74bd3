package dev.faaster.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * Keeps docker-compose.yml honest against the platform's configuration: the production topology
 * may only configure the platform through variables application.yml (or an application-*.yml next
 * to it) actually reads, its ports and health checks must agree with those variables, every
 * service is health-checked, every image is pinned, and TEMPORAL_ADDRESS points at the Temporal
 * service. The L2 zone cache service is held to its own application.yml (zone-cache module) the
 * same way, must share the api's registry database and origin, and must be where the worker's
 * FAASTER_ZONE_CACHE_URL points. Each check is a function returning its violations;
 * {@link CheckerCanFail} feeds each one a broken document to prove it would catch the problem.
 */
class ComposeConfigurationTest {

    /** The services that run the platform itself (dev.faaster.api.Application). */
    static final List<String> PLATFORM_SERVICES = List.of("api", "worker");

    /** The L2 zone cache service (dev.faaster.zonecache.ZoneCacheApplication) and what it must run. */
    static final String ZONE_CACHE_SERVICE = "zone-cache";
    static final String ZONE_CACHE_MAIN = "dev.faaster.zonecache.ZoneCacheApplication";
    /** Settings the zone cache must share with the api: the same registry rows, the same code store. */
    static final List<String> SHARED_WITH_THE_API = List.of(
            "FAASTER_DB_URL", "FAASTER_DB_USER", "FAASTER_DB_PASSWORD", "FAASTER_DB_DRIVER", "FAASTER_DB_DIALECT",
            "FAASTER_S3_ENDPOINT", "FAASTER_S3_REGION", "FAASTER_S3_BUCKET", "FAASTER_S3_ACCESS_KEY", "FAASTER_S3_SECRET_KEY");

    static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([A-Za-z0-9_.\\-]+)(?=[:}])");
    static final Pattern HTTP_URL = Pattern.compile("https?://([^/:\\s\"']+)(?::(\\d+))?(/[^\\s\"']*)?");
    static final Set<String> TEMPORAL_SERVER_IMAGES =
            Set.of("temporalio/auto-setup", "temporalio/server", "temporalio/temporal");

    static Map<String, Object> compose;
    static Set<String> placeholders;
    static Map<String, Object> applicationYml;
    static Set<String> zoneCachePlaceholders;
    static Map<String, Object> zoneCacheYml;

    @BeforeAll
    static void load() throws IOException {
        Path root = repoRoot();
        compose = parseYaml(Files.readString(root.resolve("docker-compose.yml"), StandardCharsets.UTF_8));
        Path resources = applicationYmlDirectory(root);
        String mainYml = Files.readString(resources.resolve("application.yml"), StandardCharsets.UTF_8);
        applicationYml = parseYaml(mainYml);
        placeholders = new TreeSet<>();
        try (Stream<Path> files = Files.list(resources)) {
            for (Path file : files.filter(ComposeConfigurationTest::isApplicationYml).sorted().toList()) {
                placeholders.addAll(placeholdersIn(Files.readString(file, StandardCharsets.UTF_8)));
            }
        }
        String zoneYml = Files.readString(root.resolve("zone-cache/src/main/resources/application.yml"), StandardCharsets.UTF_8);
        zoneCacheYml = parseYaml(zoneYml);
        zoneCachePlaceholders = placeholdersIn(zoneYml);
    }

    @Test
    void composeFileDescribesThePlatformServices() {
        assertThat(services(compose)).containsKeys("api", "worker", "temporal", "mysql", ZONE_CACHE_SERVICE);
        assertThat(placeholders).as("placeholders found in application*.yml").contains("FAASTER_API_PORT");
        assertThat(zoneCachePlaceholders).as("placeholders of the zone cache").contains("FAASTER_ZONE_CACHE_PORT");
    }

    @Test
    void theZoneCacheServiceRunsTheZoneCacheConfiguredOnlyThroughWhatItReads() {
        assertThat(zoneCacheServiceViolations(compose, zoneCachePlaceholders, zoneCacheYml)).isEmpty();
    }

    @Test
    void theZoneCacheSharesTheApisRegistryAndOriginAndTheWorkerReachesIt() {
        assertThat(zoneCacheWiringViolations(compose, zoneCacheYml)).isEmpty();
    }

    @Test
    void everyEnvironmentKeyOfTheApiAndWorkerIsReadByThePlatform() {
        assertThat(unreadEnvironmentKeys(compose, placeholders)).isEmpty();
    }

    @Test
    void publishedApiPortsAndHealthChecksUseThePlatformsPorts() {
        assertThat(portViolations(compose, applicationYml)).isEmpty();
    }

    @Test
    void everyServiceHasAHealthCheck() {
        assertThat(servicesWithoutHealthCheck(compose)).isEmpty();
    }

    @Test
    void everyImageIsPinned() {
        assertThat(unpinnedImages(compose)).isEmpty();
    }

    @Test
    void temporalAddressNamesTheTemporalServiceAndItsPort() {
        assertThat(temporalAddressViolations(compose)).isEmpty();
    }

    /**
     * The Temporal service loads the repository's dynamic config, which lifts the history service's
     * transfer-queue poll rate (the default 20/s per shard adds up to 50 ms to every workflow step).
     */
    @Test
    void temporalLoadsTheDynamicConfigThatLiftsTheTransferQueuePollRate() throws IOException {
        Map<String, Object> temporal = services(compose).get("temporal");
        String configPath = environment(temporal).get("DYNAMIC_CONFIG_FILE_PATH");
        assertThat(configPath).as("temporal's DYNAMIC_CONFIG_FILE_PATH").isNotBlank();
        // auto-setup resolves a relative path against /etc/temporal.
        String inContainer = configPath.startsWith("/") ? configPath : "/etc/temporal/" + configPath;
        @SuppressWarnings("unchecked")
        List<String> volumes = (List<String>) temporal.getOrDefault("volumes", List.of());
        String source = volumes.stream()
                .map(String::valueOf)
                .map(volume -> volume.split(":"))
                .filter(parts -> parts.length >= 2 && parts[1].equals(inContainer))
                .map(parts -> parts[0])
                .findFirst()
                .orElse(null);
        assertThat(source).as("a volume mounting %s", inContainer).isNotNull();
        Map<String, Object> dynamicConfig =
                parseYaml(Files.readString(repoRoot().resolve(source), StandardCharsets.UTF_8));
        assertThat(String.valueOf(dynamicConfig.get("history.transferProcessorMaxPollRPS")))
                .as("history.transferProcessorMaxPollRPS in %s", source)
                .contains("value=1000");
    }

    // ---------------------------------------------------------------------------------------------
    // The checks. Each returns human-readable violations, empty when the document is fine.

    /** Environment keys set on a platform service that no application*.yml placeholder reads. */
    static List<String> unreadEnvironmentKeys(Map<String, Object> compose, Set<String> placeholders) {
        List<String> violations = new ArrayList<>();
        for (String name : PLATFORM_SERVICES) {
            Map<String, Object> service = services(compose).get(name);
            if (service == null) {
                violations.add("service " + name + " is missing");
                continue;
            }
            for (String key : environment(service).keySet()) {
                if (!placeholders.contains(key)) {
                    violations.add(name + ": " + key + " is not read by application.yml (no ${" + key + ":...} placeholder)");
                }
            }
        }
        return violations;
    }

    /**
     * Every published port of the api service targets the HTTP port the platform listens on
     * (micronaut.server.port resolved with the service's environment: FAASTER_API_PORT, 8080 by
     * default), and every platform service's health check calls the port /health is served on
     * (endpoints.all.port resolved the same way).
     */
    static List<String> portViolations(Map<String, Object> compose, Map<String, Object> applicationYml) {
        List<String> violations = new ArrayList<>();
        String serverPortExpr = String.valueOf(path(applicationYml, "micronaut", "server", "port"));
        Object managementPortExpr = path(applicationYml, "endpoints", "all", "port");
        for (String name : PLATFORM_SERVICES) {
            Map<String, Object> service = services(compose).get(name);
            if (service == null) {
                violations.add("service " + name + " is missing");
                continue;
            }
            Map<String, String> env = environment(service);
            String apiPort = resolve(serverPortExpr, env);
            String healthPort = managementPortExpr == null ? apiPort : resolve(String.valueOf(managementPortExpr), env);
            List<String> targets = publishedTargetPorts(service.get("ports"));
            if (name.equals("api") && targets.isEmpty()) {
                violations.add("api publishes no port");
            }
            for (String target : targets) {
                if (!target.equals(apiPort)) {
                    violations.add(name + ": publishes container port " + target + " but the platform listens on " + apiPort
                            + " (FAASTER_API_PORT)");
                }
            }
            String url = healthCheckUrl(service);
            if (url == null) {
                violations.add(name + ": health check calls no http://host:port/health URL");
                continue;
            }
            Matcher m = HTTP_URL.matcher(url);
            m.find();
            String port = m.group(2) != null ? m.group(2) : (url.startsWith("https") ? "443" : "80");
            if (!port.equals(healthPort)) {
                violations.add(name + ": health check calls port " + port + " but /health is served on " + healthPort);
            }
            if (m.group(3) == null || !m.group(3).startsWith("/health")) {
                violations.add(name + ": health check URL " + url + " is not the /health endpoint");
            }
            if (!port.equals(apiPort) && !targets.isEmpty() && managementPortExpr == null) {
                violations.add(name + ": health check port " + port + " differs from the published API port " + apiPort);
            }
        }
        return violations;
    }

    static List<String> servicesWithoutHealthCheck(Map<String, Object> compose) {
        List<String> violations = new ArrayList<>();
        services(compose).forEach((name, service) -> {
            if (!(service.get("healthcheck") instanceof Map<?, ?> hc)) {
                violations.add(name + ": no healthcheck");
                return;
            }
            if (Boolean.TRUE.equals(hc.get("disable"))) {
                violations.add(name + ": healthcheck disabled");
                return;
            }
            Object test = hc.get("test");
            boolean empty = test == null
                    || (test instanceof String s && s.isBlank())
                    || (test instanceof List<?> l && (l.isEmpty() || "NONE".equals(String.valueOf(l.get(0)))));
            if (empty) {
                violations.add(name + ": healthcheck has no test");
            }
        });
        return violations;
    }

    /** Images must carry an explicit tag other than latest (or a digest). */
    static List<String> unpinnedImages(Map<String, Object> compose) {
        List<String> violations = new ArrayList<>();
        services(compose).forEach((name, service) -> {
            Object image = service.get("image");
            if (image == null) {
                if (service.get("build") == null) {
                    violations.add(name + ": neither image nor build");
                } else {
                    violations.add(name + ": built image has no image: name:tag");
                }
                return;
            }
            String ref = String.valueOf(image);
            if (ref.contains("@sha256:")) {
                return;
            }
            String lastPart = ref.substring(ref.lastIndexOf('/') + 1);
            int colon = lastPart.indexOf(':');
            String tag = colon < 0 ? "" : lastPart.substring(colon + 1);
            if (tag.isEmpty() || tag.equals("latest") || tag.contains("${")) {
                violations.add(name + ": image " + ref + " is not pinned to a tag");
            }
        });
        return violations;
    }

    /**
     * TEMPORAL_ADDRESS on each platform service is host:port where host is a compose service
     * running a Temporal server image and port is that server's frontend gRPC port
     * (FRONTEND_GRPC_PORT in its environment, 7233 by default).
     */
    static List<String> temporalAddressViolations(Map<String, Object> compose) {
        List<String> violations = new ArrayList<>();
        Map<String, Map<String, Object>> services = services(compose);
        for (String name : PLATFORM_SERVICES) {
            Map<String, Object> service = services.get(name);
            if (service == null) {
                violations.add("service " + name + " is missing");
                continue;
            }
            String address = environment(service).get("TEMPORAL_ADDRESS");
            if (address == null || address.isBlank()) {
                violations.add(name + ": TEMPORAL_ADDRESS is not set (the default 127.0.0.1:7233 is not reachable from a container)");
                continue;
            }
            int colon = address.lastIndexOf(':');
            if (colon <= 0) {
                violations.add(name + ": TEMPORAL_ADDRESS " + address + " is not host:port");
                continue;
            }
            String host = address.substring(0, colon);
            String port = address.substring(colon + 1);
            Map<String, Object> temporal = serviceByHostName(services, host);
            if (temporal == null) {
                violations.add(name + ": TEMPORAL_ADDRESS host " + host + " is not a service of docker-compose.yml");
                continue;
            }
            String image = String.valueOf(temporal.get("image"));
            String repository = image.replaceAll("[:@].*$", "").replaceFirst("^docker\\.io/", "");
            if (!TEMPORAL_SERVER_IMAGES.contains(repository)) {
                violations.add(name + ": TEMPORAL_ADDRESS host " + host + " runs " + image + ", not a Temporal server");
            }
            String frontendPort = environment(temporal).getOrDefault("FRONTEND_GRPC_PORT", "7233");
            if (!port.equals(frontendPort)) {
                violations.add(name + ": TEMPORAL_ADDRESS port " + port + " is not " + host + "'s frontend port " + frontendPort);
            }
        }
        return violations;
    }

    /**
     * The zone cache service runs {@value #ZONE_CACHE_MAIN}; every environment key it sets is read
     * by the zone cache's application.yml; it listens on a non-loopback address (or its published
     * port would lead nowhere); its published ports and health check use the port it listens on.
     */
    static List<String> zoneCacheServiceViolations(
            Map<String, Object> compose, Set<String> zonePlaceholders, Map<String, Object> zoneYml) {
        List<String> violations = new ArrayList<>();
        Map<String, Object> service = services(compose).get(ZONE_CACHE_SERVICE);
        if (service == null) {
            return List.of("service " + ZONE_CACHE_SERVICE + " is missing");
        }
        String launch = commandLine(service.get("entrypoint")) + " " + commandLine(service.get("command"));
        if (!launch.contains(ZONE_CACHE_MAIN)) {
            violations.add(ZONE_CACHE_SERVICE + ": entrypoint/command does not run " + ZONE_CACHE_MAIN);
        }
        Map<String, String> env = environment(service);
        for (String key : env.keySet()) {
            if (!zonePlaceholders.contains(key)) {
                violations.add(ZONE_CACHE_SERVICE + ": " + key
                        + " is not read by zone-cache/src/main/resources/application.yml");
            }
        }
        String host = resolve(String.valueOf(path(zoneYml, "micronaut", "server", "host")), env);
        String port = resolve(String.valueOf(path(zoneYml, "micronaut", "server", "port")), env);
        List<String> targets = publishedTargetPorts(service.get("ports"));
        if (!targets.isEmpty() && (host.startsWith("127.") || host.equals("localhost") || host.equals("::1"))) {
            violations.add(ZONE_CACHE_SERVICE + ": listens on " + host
                    + " inside its container, so neither its published port nor other services reach it (FAASTER_ZONE_CACHE_HOST)");
        }
        for (String target : targets) {
            if (!target.equals(port)) {
                violations.add(ZONE_CACHE_SERVICE + ": publishes container port " + target + " but listens on " + port
                        + " (FAASTER_ZONE_CACHE_PORT)");
            }
        }
        String url = healthCheckUrl(service);
        if (url == null) {
            violations.add(ZONE_CACHE_SERVICE + ": health check calls no http://host:port/health URL");
        } else {
            Matcher m = HTTP_URL.matcher(url);
            m.find();
            if (!port.equals(m.group(2))) {
                violations.add(ZONE_CACHE_SERVICE + ": health check calls port " + m.group(2) + " but /health is served on " + port);
            }
            if (m.group(3) == null || !m.group(3).startsWith("/health")) {
                violations.add(ZONE_CACHE_SERVICE + ": health check URL " + url + " is not the /health endpoint");
            }
        }
        return violations;
    }

    /**
     * The zone cache reads the registry the api migrates and the origin the api stores code in (the
     * same values for {@link #SHARED_WITH_THE_API}), and waits for the api (its migrations) to be
     * healthy; the worker, whose deploy warm-up fills L2, names the zone cache service and its port
     * in FAASTER_ZONE_CACHE_URL and sends the node token the zone cache expects.
     */
    static List<String> zoneCacheWiringViolations(Map<String, Object> compose, Map<String, Object> zoneYml) {
        List<String> violations = new ArrayList<>();
        Map<String, Map<String, Object>> services = services(compose);
        Map<String, Object> zone = services.get(ZONE_CACHE_SERVICE);
        Map<String, Object> api = services.get("api");
        Map<String, Object> worker = services.get("worker");
        if (zone == null || api == null || worker == null) {
            return List.of("services " + ZONE_CACHE_SERVICE + ", api and worker are needed");
        }
        Map<String, String> zoneEnv = environment(zone);
        Map<String, String> apiEnv = environment(api);
        for (String key : SHARED_WITH_THE_API) {
            if (!java.util.Objects.equals(zoneEnv.get(key), apiEnv.get(key))) {
                violations.add(ZONE_CACHE_SERVICE + ": " + key + " is " + zoneEnv.get(key) + " but the api's is " + apiEnv.get(key));
            }
        }
        if (!(zone.get("depends_on") instanceof Map<?, ?> dependsOn && dependsOn.get("api") instanceof Map<?, ?> onApi
                && "service_healthy".equals(onApi.get("condition")))) {
            violations.add(ZONE_CACHE_SERVICE + ": does not wait for the api to be healthy (it migrates the registry the zone cache reads)");
        }
        Map<String, String> workerEnv = environment(worker);
        String url = workerEnv.get("FAASTER_ZONE_CACHE_URL");
        String port = resolve(String.valueOf(path(zoneYml, "micronaut", "server", "port")), zoneEnv);
        Matcher m = url == null ? null : HTTP_URL.matcher(url);
        if (m == null || !m.find()) {
            violations.add("worker: FAASTER_ZONE_CACHE_URL is not set to the zone cache's http URL (deploys wouldn't warm it)");
        } else {
            if (serviceByHostName(services, m.group(1)) != zone) {
                violations.add("worker: FAASTER_ZONE_CACHE_URL host " + m.group(1) + " is not the " + ZONE_CACHE_SERVICE + " service");
            }
            String urlPort = m.group(2) != null ? m.group(2) : "80";
            if (!urlPort.equals(port)) {
                violations.add("worker: FAASTER_ZONE_CACHE_URL port " + urlPort + " is not the zone cache's port " + port);
            }
        }
        String token = zoneEnv.get("FAASTER_ZONE_CACHE_NODE_TOKEN");
        if (token == null || token.isBlank()) {
            violations.add(ZONE_CACHE_SERVICE + ": FAASTER_ZONE_CACHE_NODE_TOKEN is not set (the zone cache won't start)");
        } else if (!token.equals(workerEnv.get("FAASTER_ZONE_CACHE_NODE_TOKEN"))) {
            violations.add("worker: FAASTER_ZONE_CACHE_NODE_TOKEN differs from the zone cache's");
        }
        return violations;
    }

    // ---------------------------------------------------------------------------------------------
    // Helpers.

    /** An entrypoint or command, list or string form, as one line. */
    static String commandLine(Object value) {
        if (value == null) {
            return "";
        }
        return value instanceof List<?> l ? String.join(" ", l.stream().map(String::valueOf).toList()) : String.valueOf(value);
    }

    static Path repoRoot() {
        Path dir = Paths.get(System.getProperty("user.dir")).toAbsolutePath();
        for (Path d = dir; d != null; d = d.getParent()) {
            if (Files.isRegularFile(d.resolve("docker-compose.yml")) && Files.isRegularFile(d.resolve("pom.xml"))) {
                return d;
            }
        }
        throw new IllegalStateException("no docker-compose.yml in " + dir + " or any parent directory");
    }

    /** api/src/main/resources, or wherever the application.yml on the classpath lives. */
    static Path applicationYmlDirectory(Path root) {
        Path sources = root.resolve("api/src/main/resources");
        if (Files.isRegularFile(sources.resolve("application.yml"))) {
            return sources;
        }
        URL url = ComposeConfigurationTest.class.getClassLoader().getResource("application.yml");
        if (url != null && "file".equals(url.getProtocol())) {
            try {
                return Paths.get(url.toURI()).getParent();
            } catch (URISyntaxException e) {
                throw new IllegalStateException(e);
            }
        }
        throw new IllegalStateException("application.yml neither in " + sources + " nor on the classpath as a file");
    }

    static boolean isApplicationYml(Path file) {
        String name = file.getFileName().toString();
        return name.equals("application.yml") || (name.startsWith("application-") && name.endsWith(".yml"));
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> parseYaml(String text) {
        Object doc = new Yaml(new SafeConstructor(new LoaderOptions())).load(text);
        return doc instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    }

    /** Names used as ${NAME:default} or ${NAME} in the YAML's keys and values (comments ignored). */
    static Set<String> placeholdersIn(String yamlText) {
        Set<String> names = new TreeSet<>();
        for (Object doc : new Yaml(new SafeConstructor(new LoaderOptions())).loadAll(yamlText)) {
            collectPlaceholders(doc, names);
        }
        return names;
    }

    private static void collectPlaceholders(Object node, Set<String> names) {
        if (node instanceof Map<?, ?> map) {
            map.forEach((k, v) -> {
                collectPlaceholders(k, names);
                collectPlaceholders(v, names);
            });
        } else if (node instanceof List<?> list) {
            list.forEach(item -> collectPlaceholders(item, names));
        } else if (node instanceof String s) {
            Matcher m = PLACEHOLDER.matcher(s);
            while (m.find()) {
                names.add(m.group(1));
            }
        }
    }

    @SuppressWarnings("unchecked")
    static Map<String, Map<String, Object>> services(Map<String, Object> compose) {
        Object services = compose.get("services");
        if (!(services instanceof Map<?, ?> map)) {
            return Map.of();
        }
        Map<String, Map<String, Object>> result = new LinkedHashMap<>();
        map.forEach((k, v) -> result.put(String.valueOf(k), v instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of()));
        return result;
    }

    /** A service's environment as a map, from either the map or the KEY=VALUE list form. */
    static Map<String, String> environment(Map<String, Object> service) {
        Map<String, String> env = new LinkedHashMap<>();
        Object raw = service.get("environment");
        if (raw instanceof Map<?, ?> map) {
            flattenMerge(map).forEach((k, v) -> env.put(String.valueOf(k), v == null ? "" : String.valueOf(v)));
        } else if (raw instanceof List<?> list) {
            for (Object item : list) {
                String s = String.valueOf(item);
                int eq = s.indexOf('=');
                env.put(eq < 0 ? s : s.substring(0, eq), eq < 0 ? "" : s.substring(eq + 1));
            }
        }
        return env;
    }

    /** SnakeYAML resolves YAML merge keys; should a `<<` survive anyway, apply it here. */
    private static Map<Object, Object> flattenMerge(Map<?, ?> map) {
        Map<Object, Object> result = new LinkedHashMap<>();
        Object merge = map.get("<<");
        if (merge instanceof Map<?, ?> base) {
            result.putAll(flattenMerge(base));
        } else if (merge instanceof List<?> bases) {
            for (Object base : bases) {
                if (base instanceof Map<?, ?> b) {
                    flattenMerge(b).forEach(result::putIfAbsent);
                }
            }
        }
        map.forEach((k, v) -> {
            if (!"<<".equals(k)) {
                result.put(k, v);
            }
        });
        return result;
    }

    static Object path(Map<String, Object> yaml, String... keys) {
        Object node = yaml;
        for (String key : keys) {
            if (!(node instanceof Map<?, ?> map)) {
                return null;
            }
            node = map.get(key);
        }
        return node;
    }

    /** Resolves ${NAME:default} / ${NAME} (defaults may nest) against env; literals stay as they are. */
    static String resolve(String expression, Map<String, String> env) {
        String e = expression.trim();
        if (!e.startsWith("${") || !e.endsWith("}")) {
            return e;
        }
        String body = e.substring(2, e.length() - 1);
        int colon = body.indexOf(':');
        String name = colon < 0 ? body : body.substring(0, colon);
        String value = env.get(name);
        if (value != null) {
            return value;
        }
        if (colon < 0) {
            throw new IllegalArgumentException("no value and no default for " + expression);
        }
        return resolve(body.substring(colon + 1), env);
    }

    /** Container-side ports of a service's `ports`, short ("[ip:]host:container[/proto]") or long syntax. */
    static List<String> publishedTargetPorts(Object ports) {
        List<String> targets = new ArrayList<>();
        if (!(ports instanceof List<?> list)) {
            return targets;
        }
        for (Object entry : list) {
            if (entry instanceof Map<?, ?> m) {
                targets.add(String.valueOf(m.get("target")));
            } else {
                String s = String.valueOf(entry);
                int slash = s.indexOf('/');
                if (slash >= 0) {
                    s = s.substring(0, slash);
                }
                targets.add(s.substring(s.lastIndexOf(':') + 1));
            }
        }
        return targets;
    }

    /** The first http(s) URL in a service's health check command, or null. */
    static String healthCheckUrl(Map<String, Object> service) {
        if (!(service.get("healthcheck") instanceof Map<?, ?> hc)) {
            return null;
        }
        Object test = hc.get("test");
        String command = test instanceof List<?> l ? String.join(" ", l.stream().map(String::valueOf).toList())
                : String.valueOf(test);
        Matcher m = HTTP_URL.matcher(command);
        return m.find() ? m.group() : null;
    }

    /** The service reachable as host: by service name, hostname, container_name or network alias. */
    static Map<String, Object> serviceByHostName(Map<String, Map<String, Object>> services, String host) {
        if (services.containsKey(host)) {
            return services.get(host);
        }
        for (Map<String, Object> service : services.values()) {
            Set<String> names = new LinkedHashSet<>();
            names.add(String.valueOf(service.get("hostname")));
            names.add(String.valueOf(service.get("container_name")));
            if (service.get("networks") instanceof Map<?, ?> networks) {
                for (Object network : networks.values()) {
                    if (network instanceof Map<?, ?> n && n.get("aliases") instanceof List<?> aliases) {
                        aliases.forEach(a -> names.add(String.valueOf(a)));
                    }
                }
            }
            if (names.contains(host)) {
                return service;
            }
        }
        return null;
    }

    // ---------------------------------------------------------------------------------------------

    /** Each check, fed a document with exactly the problem it guards against, reports it. */
    @Nested
    class CheckerCanFail {

        static final String GOOD = """
                services:
                  temporal:
                    image: temporalio/auto-setup:1.29.1
                    healthcheck: {test: ["CMD", "true"]}
                  mysql:
                    image: mysql:8.0.42
                    healthcheck: {test: ["CMD", "true"]}
                  api:
                    image: faaster:0.1.0
                    environment:
                      FAASTER_API_PORT: "8080"
                      TEMPORAL_ADDRESS: temporal:7233
                    ports: ["127.0.0.1:8080:8080"]
                    healthcheck: {test: ["CMD", "curl", "-f", "http://127.0.0.1:8080/health"]}
                  worker:
                    image: faaster:0.1.0
                    environment: ["TEMPORAL_ADDRESS=temporal:7233"]
                    healthcheck: {test: ["CMD", "curl", "-f", "http://127.0.0.1:8080/health"]}
                """;
        static final Set<String> READ = Set.of("FAASTER_API_PORT", "TEMPORAL_ADDRESS");
        static final Map<String, Object> APP = parseYaml("""
                micronaut:
                  server:
                    port: ${FAASTER_API_PORT:8080}
                endpoints:
                  all:
                    port: ${FAASTER_MANAGEMENT_PORT:8080}
                """);

        static Map<String, Object> good(String from, String to) {
            assertThat(GOOD).contains(from);
            return parseYaml(GOOD.replace(from, to));
        }

        @Test
        void theGoodDocumentPassesEveryCheck() {
            Map<String, Object> doc = parseYaml(GOOD);
            assertThat(unreadEnvironmentKeys(doc, READ)).isEmpty();
            assertThat(portViolations(doc, APP)).isEmpty();
            assertThat(servicesWithoutHealthCheck(doc)).isEmpty();
            assertThat(unpinnedImages(doc)).isEmpty();
            assertThat(temporalAddressViolations(doc)).isEmpty();
        }

        static final String GOOD_ZONE = GOOD + """
                  zone-cache:
                    image: faaster:0.1.0
                    entrypoint: ["java", "-cp", "/app/zone-cache/classes:/app/zone-cache/lib/*", "dev.faaster.zonecache.ZoneCacheApplication"]
                    depends_on:
                      api: {condition: service_healthy}
                    environment:
                      FAASTER_DB_URL: jdbc:mariadb://mysql:3306/faaster
                      FAASTER_ZONE_CACHE_HOST: 0.0.0.0
                      FAASTER_ZONE_CACHE_NODE_TOKEN: ${TOKEN:?set TOKEN}
                    ports: ["127.0.0.1:8090:8090"]
                    healthcheck: {test: ["CMD", "curl", "-f", "http://127.0.0.1:8090/health"]}
                """;
        static final Set<String> ZONE_READ = Set.of("FAASTER_DB_URL", "FAASTER_ZONE_CACHE_HOST", "FAASTER_ZONE_CACHE_PORT",
                "FAASTER_ZONE_CACHE_NODE_TOKEN");
        static final Map<String, Object> ZONE_APP = parseYaml("""
                micronaut:
                  server:
                    host: ${FAASTER_ZONE_CACHE_HOST:127.0.0.1}
                    port: ${FAASTER_ZONE_CACHE_PORT:8090}
                """);

        /** GOOD_ZONE with the api and worker wired to the zone cache. */
        static Map<String, Object> goodZone(String from, String to) {
            String doc = GOOD_ZONE
                    .replace("      FAASTER_API_PORT: \"8080\"\n", "      FAASTER_API_PORT: \"8080\"\n      FAASTER_DB_URL: jdbc:mariadb://mysql:3306/faaster\n")
                    .replace("environment: [\"TEMPORAL_ADDRESS=temporal:7233\"]",
                            "environment: [\"TEMPORAL_ADDRESS=temporal:7233\", \"FAASTER_ZONE_CACHE_URL=http://zone-cache:8090\", "
                                    + "\"FAASTER_ZONE_CACHE_NODE_TOKEN=${TOKEN:?set TOKEN}\"]");
            assertThat(doc).contains(from);
            return parseYaml(doc.replace(from, to));
        }

        @Test
        void theGoodZoneCacheDocumentPassesTheZoneCacheChecks() {
            assertThat(zoneCacheServiceViolations(goodZone("", ""), ZONE_READ, ZONE_APP)).isEmpty();
            assertThat(zoneCacheWiringViolations(goodZone("", ""), ZONE_APP)).isEmpty();
        }

        @Test
        void aZoneCacheServiceThatIsMissingOrRunsSomethingElseIsReported() {
            assertThat(zoneCacheServiceViolations(parseYaml(GOOD), ZONE_READ, ZONE_APP))
                    .singleElement().asString().contains("zone-cache is missing");
            assertThat(zoneCacheServiceViolations(goodZone("\"dev.faaster.zonecache.ZoneCacheApplication\"", "\"dev.faaster.api.Application\""),
                    ZONE_READ, ZONE_APP)).singleElement().asString().contains("does not run " + ZONE_CACHE_MAIN);
        }

        @Test
        void aZoneCacheKeyItDoesNotReadOrALoopbackHostOrAnotherPortIsReported() {
            assertThat(zoneCacheServiceViolations(goodZone("FAASTER_ZONE_CACHE_HOST: 0.0.0.0", "FAASTER_ZONE_CACHE_HOST: 0.0.0.0\n      FAASTER_API_PORT: \"8080\""),
                    ZONE_READ, ZONE_APP)).singleElement().asString().contains("FAASTER_API_PORT");
            assertThat(zoneCacheServiceViolations(goodZone("FAASTER_ZONE_CACHE_HOST: 0.0.0.0", "FAASTER_ZONE_CACHE_HOST: 127.0.0.1"),
                    ZONE_READ, ZONE_APP)).singleElement().asString().contains("listens on 127.0.0.1");
            assertThat(zoneCacheServiceViolations(goodZone("127.0.0.1:8090:8090", "127.0.0.1:8090:8091"), ZONE_READ, ZONE_APP))
                    .singleElement().asString().contains("publishes container port 8091");
            assertThat(zoneCacheServiceViolations(goodZone("8090/health", "8091/health"), ZONE_READ, ZONE_APP))
                    .singleElement().asString().contains("health check calls port 8091");
        }

        @Test
        void aZoneCacheOnAnotherRegistryOrUnreachableFromTheWorkerIsReported() {
            assertThat(zoneCacheWiringViolations(goodZone("FAASTER_DB_URL: jdbc:mariadb://mysql:3306/faaster\n      FAASTER_ZONE_CACHE_HOST",
                    "FAASTER_DB_URL: jdbc:h2:mem:other\n      FAASTER_ZONE_CACHE_HOST"), ZONE_APP))
                    .singleElement().asString().contains("FAASTER_DB_URL", "jdbc:h2:mem:other");
            assertThat(zoneCacheWiringViolations(goodZone("api: {condition: service_healthy}", "api: {condition: service_started}"), ZONE_APP))
                    .singleElement().asString().contains("does not wait for the api");
            assertThat(zoneCacheWiringViolations(goodZone("http://zone-cache:8090", "http://l2:8090"), ZONE_APP))
                    .singleElement().asString().contains("host l2");
            assertThat(zoneCacheWiringViolations(goodZone("http://zone-cache:8090", "http://zone-cache:9000"), ZONE_APP))
                    .singleElement().asString().contains("port 9000");
            assertThat(zoneCacheWiringViolations(goodZone("\"FAASTER_ZONE_CACHE_NODE_TOKEN=${TOKEN:?set TOKEN}\"",
                    "\"FAASTER_ZONE_CACHE_NODE_TOKEN=other\""), ZONE_APP))
                    .singleElement().asString().contains("differs");
        }

        @Test
        void placeholdersComeFromValuesNotComments() {
            assertThat(placeholdersIn("""
                    # ${IN_A_COMMENT:x}
                    a:
                      b: ${WITH_DEFAULT:1}
                      c: "${NO_DEFAULT}"
                      d: ${OUTER:${INNER:2}}
                      e: ${faaster.some.property:3}
                    """)).containsExactlyInAnyOrder("WITH_DEFAULT", "NO_DEFAULT", "OUTER", "INNER", "faaster.some.property");
        }

        @Test
        void anUnreadEnvironmentKeyIsReported() {
            assertThat(unreadEnvironmentKeys(good("TEMPORAL_ADDRESS: temporal:7233", "TEMPORAL_ADDRESS: temporal:7233\n      FAASTER_TYPO: x"), READ))
                    .singleElement().asString().contains("api", "FAASTER_TYPO");
            assertThat(unreadEnvironmentKeys(good("[\"TEMPORAL_ADDRESS=temporal:7233\"]", "[\"TEMPORAL_ADDRESS=temporal:7233\", \"JAVA_OPTS=-Xmx1g\"]"), READ))
                    .singleElement().asString().contains("worker", "JAVA_OPTS");
            assertThat(unreadEnvironmentKeys(parseYaml(GOOD), Set.of("TEMPORAL_ADDRESS")))
                    .singleElement().asString().contains("FAASTER_API_PORT");
        }

        @Test
        void mergedEnvironmentKeysAreChecked() {
            Map<String, Object> doc = parseYaml("""
                    x-env: &env
                      HIDDEN_IN_ANCHOR: x
                    services:
                      api:
                        environment:
                          <<: *env
                          TEMPORAL_ADDRESS: temporal:7233
                      worker:
                        environment:
                          TEMPORAL_ADDRESS: temporal:7233
                    """);
            assertThat(unreadEnvironmentKeys(doc, READ)).singleElement().asString().contains("HIDDEN_IN_ANCHOR");
        }

        @Test
        void aPublishedPortOtherThanTheApiPortIsReported() {
            assertThat(portViolations(good("127.0.0.1:8080:8080", "127.0.0.1:8080:9090"), APP))
                    .singleElement().asString().contains("9090");
            assertThat(portViolations(good("FAASTER_API_PORT: \"8080\"", "FAASTER_API_PORT: \"9090\""), APP))
                    .anySatisfy(v -> assertThat(v).contains("publishes container port 8080", "9090"));
            assertThat(portViolations(good("ports: [\"127.0.0.1:8080:8080\"]", "ports: [{target: 8081, published: 8080}]"), APP))
                    .singleElement().asString().contains("8081");
            assertThat(portViolations(good("ports: [\"127.0.0.1:8080:8080\"]", "ports: []"), APP))
                    .singleElement().asString().contains("api publishes no port");
        }

        @Test
        void aHealthCheckOnAnotherPortOrPathIsReported() {
            assertThat(portViolations(good("\"CMD\", \"curl\", \"-f\", \"http://127.0.0.1:8080/health\"]}\n  worker",
                    "\"CMD\", \"curl\", \"-f\", \"http://127.0.0.1:8081/health\"]}\n  worker"), APP))
                    .singleElement().asString().contains("api", "8081");
            assertThat(portViolations(parseYaml(GOOD.replace("8080/health", "8080/ready")), APP))
                    .hasSize(2).allSatisfy(v -> assertThat(v).contains("not the /health endpoint"));
            assertThat(portViolations(parseYaml(GOOD.replace("[\"CMD\", \"curl\", \"-f\", \"http://127.0.0.1:8080/health\"]", "[\"CMD\", \"true\"]")), APP))
                    .hasSize(2).allSatisfy(v -> assertThat(v).contains("health check calls no"));
            // The management port moved: /health follows it, the check must too.
            assertThat(portViolations(good("FAASTER_API_PORT: \"8080\"", "FAASTER_API_PORT: \"8080\"\n      FAASTER_MANAGEMENT_PORT: \"8090\""), APP))
                    .singleElement().asString().contains("api", "served on 8090");
        }

        @Test
        void aMissingOrDisabledHealthCheckIsReported() {
            assertThat(servicesWithoutHealthCheck(good("    image: mysql:8.0.42\n    healthcheck: {test: [\"CMD\", \"true\"]}", "    image: mysql:8.0.42")))
                    .containsExactly("mysql: no healthcheck");
            assertThat(servicesWithoutHealthCheck(good("image: mysql:8.0.42\n    healthcheck: {test: [\"CMD\", \"true\"]}",
                    "image: mysql:8.0.42\n    healthcheck: {disable: true}")))
                    .containsExactly("mysql: healthcheck disabled");
            assertThat(servicesWithoutHealthCheck(good("image: mysql:8.0.42\n    healthcheck: {test: [\"CMD\", \"true\"]}",
                    "image: mysql:8.0.42\n    healthcheck: {test: [\"NONE\"]}")))
                    .containsExactly("mysql: healthcheck has no test");
        }

        @Test
        void anUnpinnedImageIsReported() {
            assertThat(unpinnedImages(good("mysql:8.0.42", "mysql"))).singleElement().asString().contains("mysql");
            assertThat(unpinnedImages(good("mysql:8.0.42", "mysql:latest"))).singleElement().asString().contains("mysql:latest");
            assertThat(unpinnedImages(good("mysql:8.0.42", "registry.local:5000/mysql"))).singleElement().asString().contains("registry.local:5000/mysql");
            assertThat(unpinnedImages(good("mysql:8.0.42", "mysql@sha256:0123abcd"))).isEmpty();
            assertThat(unpinnedImages(good("    image: mysql:8.0.42\n", "    build: .\n"))).singleElement().asString().contains("mysql");
        }

        @Test
        void aTemporalAddressNotNamingTheTemporalServiceIsReported() {
            assertThat(temporalAddressViolations(good("TEMPORAL_ADDRESS: temporal:7233", "TEMPORAL_ADDRESS: temporal:7234")))
                    .singleElement().asString().contains("api", "7234");
            assertThat(temporalAddressViolations(good("TEMPORAL_ADDRESS: temporal:7233", "TEMPORAL_ADDRESS: temporalx:7233")))
                    .singleElement().asString().contains("temporalx");
            assertThat(temporalAddressViolations(good("TEMPORAL_ADDRESS: temporal:7233", "TEMPORAL_ADDRESS: mysql:7233")))
                    .singleElement().asString().contains("not a Temporal server");
            assertThat(temporalAddressViolations(good("[\"TEMPORAL_ADDRESS=temporal:7233\"]", "[]")))
                    .singleElement().asString().contains("worker", "not set");
            assertThat(temporalAddressViolations(good("image: temporalio/auto-setup:1.29.1",
                    "image: temporalio/auto-setup:1.29.1\n    environment: {FRONTEND_GRPC_PORT: \"7000\"}")))
                    .hasSize(2).allSatisfy(v -> assertThat(v).contains("frontend port 7000"));
        }
    }
}

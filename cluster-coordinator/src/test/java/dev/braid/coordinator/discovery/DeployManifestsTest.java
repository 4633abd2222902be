package dev.braid.coordinator.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.braid.coordinator.frontend.FrontendSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * deploy/kubernetes, checked offline: every YAML document parses and carries what Kubernetes
 * requires, the workloads' ports, labels, probes and flags agree with Braid's configuration
 * (reference.conf), Services and the ServiceMonitor select pods and ports that exist, and RBAC
 * grants discovery what it needs. Not a real cluster: the README says what was not tried.
 */
class DeployManifestsTest {
  private static final Set<String> WORKLOADS = Set.of("Deployment", "StatefulSet", "DaemonSet");
  private static Path dir;
  private static final List<JsonNode> DOCS = new ArrayList<>();
  private static final Map<JsonNode, String> FILE = new HashMap<>();
  private static Config config;

  @BeforeAll
  static void parseAll() throws IOException {
    Path here = Path.of("").toAbsolutePath();
    while (here != null && !Files.isDirectory(here.resolve("deploy/kubernetes"))) {
      here = here.getParent();
    }
    if (here == null) {
      fail("deploy/kubernetes not found above " + Path.of("").toAbsolutePath());
    }
    dir = here.resolve("deploy/kubernetes");
    ObjectReader reader = new ObjectMapper(new YAMLFactory()).readerFor(JsonNode.class);
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
        try (var it = reader.<JsonNode>readValues(f.toFile())) {
          while (it.hasNext()) {
            JsonNode doc = it.next();
            if (doc != null && !doc.isNull() && !doc.isEmpty()) {
              DOCS.add(doc);
              FILE.put(doc, f.getFileName().toString());
            }
          }
        }
      }
    }
    config = ConfigFactory.load();
  }

  private static List<JsonNode> kind(String kind) {
    return DOCS.stream().filter(d -> d.path("kind").asText().equals(kind)).toList();
  }

  private static String where(JsonNode d) {
    return FILE.get(d) + ": " + d.path("kind").asText() + " " + d.path("metadata").path("name").asText();
  }

  private static Map<String, String> labels(JsonNode node) {
    Map<String, String> m = new HashMap<>();
    node.fields().forEachRemaining(e -> m.put(e.getKey(), e.getValue().asText()));
    return m;
  }

  private static boolean selects(Map<String, String> selector, Map<String, String> labels) {
    return !selector.isEmpty() && selector.entrySet().stream().allMatch(e -> e.getValue().equals(labels.get(e.getKey())));
  }

  private static List<JsonNode> workloads() {
    return DOCS.stream().filter(d -> WORKLOADS.contains(d.path("kind").asText())).toList();
  }

  private static JsonNode container(JsonNode workload) {
    JsonNode cs = workload.path("spec").path("template").path("spec").path("containers");
    assertEquals(1, cs.size(), where(workload) + ": one container");
    return cs.get(0);
  }

  private static Map<String, Integer> ports(JsonNode container) {
    Map<String, Integer> m = new HashMap<>();
    container.path("ports").forEach(p -> m.put(p.path("name").asText(), p.path("containerPort").asInt()));
    return m;
  }

  private static List<String> args(JsonNode container) {
    List<String> a = new ArrayList<>();
    container.path("args").forEach(x -> a.add(x.asText()));
    return a;
  }

  @Test
  void everyDocumentHasApiVersionKindAndNameAndKustomizeListsEveryFile() throws IOException {
    assertTrue(DOCS.size() >= 12, "documents: " + DOCS.size());
    for (JsonNode d : DOCS) {
      assertFalse(d.path("apiVersion").asText().isEmpty(), FILE.get(d) + ": apiVersion");
      assertFalse(d.path("kind").asText().isEmpty(), FILE.get(d) + ": kind");
      if (!d.path("kind").asText().equals("Kustomization")) {
        assertFalse(d.path("metadata").path("name").asText().isEmpty(), FILE.get(d) + ": metadata.name");
        assertEquals("braid", d.path("metadata").path("labels").path("app.kubernetes.io/part-of").asText(),
            where(d) + ": labelled part-of braid");
      }
    }
    Set<String> listed = new TreeSet<>();
    kind("Kustomization").get(0).path("resources").forEach(r -> listed.add(r.asText()));
    Set<String> present = new TreeSet<>();
    try (Stream<Path> files = Files.list(dir)) {
      files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".yaml") && !n.equals("kustomization.yaml"))
          .forEach(present::add);
    }
    assertEquals(present, listed, "kustomization.yaml lists every manifest");
  }

  @Test
  void theWorkloadsAreAFrontendDeploymentTwoCoordinatorsAndGpuNodes() {
    Map<String, JsonNode> byComponent = new HashMap<>();
    for (JsonNode w : workloads()) {
      byComponent.put(w.path("spec").path("template").path("metadata").path("labels")
          .path("app.kubernetes.io/component").asText(), w);
    }
    assertEquals(Set.of("frontend", "coordinator", "gpu"), byComponent.keySet());
    assertEquals("Deployment", byComponent.get("frontend").path("kind").asText());
    JsonNode coordinator = byComponent.get("coordinator");
    assertEquals("StatefulSet", coordinator.path("kind").asText());
    assertEquals(2, coordinator.path("spec").path("replicas").asInt(), "two coordinators");
    JsonNode gpu = byComponent.get("gpu");
    assertEquals(1, container(gpu).path("resources").path("limits").path("nvidia.com/gpu").asInt(),
        "a GPU pod requests one nvidia.com/gpu");
    assertTrue(container(gpu).path("lifecycle").path("preStop").path("exec").path("command").toString()
        .contains("braid drain"), "a GPU pod is drained before it stops");
    for (Map.Entry<String, JsonNode> e : byComponent.entrySet()) {
      List<String> a = args(container(e.getValue()));
      int role = a.indexOf("--role");
      assertTrue(role >= 0 && a.get(role + 1).equals(e.getKey()), where(e.getValue()) + ": --role " + e.getKey() + " in " + a);
    }
  }

  @Test
  void portsLabelsProbesAndFlagsAgreeWithBraidsConfiguration() {
    FrontendSettings frontend = FrontendSettings.from(config);
    DiscoverySettings discovery = DiscoverySettings.from(config);
    int metricsPort = config.hasPath("braid.frontend.metrics-port") ? config.getInt("braid.frontend.metrics-port") : 8002;
    String selector = discovery.podLabelSelector().replace("%s", discovery.serviceName());
    String[] kv = selector.split("=", 2);
    for (JsonNode w : workloads()) {
      JsonNode pod = w.path("spec").path("template");
      Map<String, String> podLabels = labels(pod.path("metadata").path("labels"));
      assertTrue(selects(labels(w.path("spec").path("selector").path("matchLabels")), podLabels),
          where(w) + ": its selector matches its pods");
      assertEquals(kv[1], podLabels.get(kv[0]), where(w) + ": pods carry the discovery label " + selector);
      JsonNode c = container(w);
      Map<String, Integer> ports = ports(c);
      assertEquals(config.getInt("braid.cluster.port"), ports.get("remoting"), where(w) + ": Artery port");
      assertEquals(discovery.managementPort(), ports.get("management"), where(w) + ": management port (bootstrap, probes)");
      assertEquals(metricsPort, ports.get("metrics"), where(w) + ": metrics port");
      if (podLabels.get("app.kubernetes.io/component").equals("frontend")) {
        assertEquals(frontend.grpcPort(), ports.get("grpc"), where(w));
        assertEquals(frontend.httpPort(), ports.get("http"), where(w));
      }
      assertEquals("/ready", c.path("readinessProbe").path("httpGet").path("path").asText(), where(w));
      assertEquals("management", c.path("readinessProbe").path("httpGet").path("port").asText(), where(w));
      assertEquals("/alive", c.path("livenessProbe").path("httpGet").path("path").asText(), where(w));
      List<String> a = args(c);
      assertEquals("serve", a.get(0), where(w));
      assertEquals("kubernetes", a.get(a.indexOf("--discovery") + 1), where(w) + ": discovery by pod label");
      assertFalse(a.contains("--seed"), where(w) + ": no seed addresses");
      assertEquals("$(POD_IP)", a.get(a.indexOf("--cluster-host") + 1), where(w));
      assertTrue(c.path("env").toString().contains("status.podIP"), where(w) + ": POD_IP from the downward API");
      // The model repository: /models from the braid-models claim, read-only.
      assertEquals("/models", a.get(a.indexOf("--repo") + 1), where(w));
      assertTrue(c.path("volumeMounts").toString().contains("\"mountPath\":\"/models\""), where(w));
      assertTrue(pod.path("spec").path("volumes").toString().contains("\"claimName\":\"braid-models\""), where(w));
      assertEquals("braid", pod.path("spec").path("serviceAccountName").asText(), where(w));
    }
    assertEquals(1, kind("PersistentVolumeClaim").stream()
        .filter(p -> p.path("metadata").path("name").asText().equals("braid-models")).count());
  }

  @Test
  void servicesSelectPodsAndNamedPortsThatExistAndTheFrontendServesTritonsPorts() {
    int metricsPort = config.hasPath("braid.frontend.metrics-port") ? config.getInt("braid.frontend.metrics-port") : 8002;
    FrontendSettings frontend = FrontendSettings.from(config);
    for (JsonNode s : kind("Service")) {
      Map<String, String> selector = labels(s.path("spec").path("selector"));
      List<JsonNode> selected = workloads().stream()
          .filter(w -> selects(selector, labels(w.path("spec").path("template").path("metadata").path("labels")))).toList();
      assertFalse(selected.isEmpty(), where(s) + ": selects no pods");
      for (JsonNode p : s.path("spec").path("ports")) {
        String target = p.path("targetPort").asText();
        for (JsonNode w : selected) {
          assertTrue(ports(container(w)).containsKey(target), where(s) + ": targetPort " + target + " not in " + where(w));
        }
      }
    }
    JsonNode front = kind("Service").stream().filter(s -> s.path("metadata").path("name").asText().equals("braid-frontend"))
        .findFirst().orElseThrow();
    Set<Integer> ports = new HashSet<>();
    front.path("spec").path("ports").forEach(p -> ports.add(p.path("port").asInt()));
    assertEquals(Set.of(frontend.grpcPort(), frontend.httpPort(), metricsPort), ports);

    JsonNode monitor = kind("ServiceMonitor").get(0);
    Map<String, String> sel = labels(monitor.path("spec").path("selector").path("matchLabels"));
    List<JsonNode> services = kind("Service").stream().filter(s -> selects(sel, labels(s.path("metadata").path("labels"))))
        .toList();
    assertEquals(1, services.size(), "the ServiceMonitor selects one Service");
    String port = monitor.path("spec").path("endpoints").get(0).path("port").asText();
    assertTrue(services.get(0).path("spec").path("ports").toString().contains("\"name\":\"" + port + "\""));
    assertEquals("/metrics", monitor.path("spec").path("endpoints").get(0).path("path").asText());
    assertEquals(workloads().size(), workloads().stream().filter(w -> selects(labels(services.get(0).path("spec")
        .path("selector")), labels(w.path("spec").path("template").path("metadata").path("labels")))).count(),
        "every pod is scraped");
  }

  @Test
  void rbacLetsTheServiceAccountReadPodsForDiscovery() {
    JsonNode role = kind("Role").get(0);
    JsonNode rule = role.path("rules").get(0);
    assertEquals("[\"pods\"]", rule.path("resources").toString());
    Set<String> verbs = new HashSet<>();
    rule.path("verbs").forEach(v -> verbs.add(v.asText()));
    assertTrue(verbs.containsAll(Set.of("get", "list", "watch")), verbs.toString());
    JsonNode binding = kind("RoleBinding").get(0);
    assertEquals(role.path("metadata").path("name").asText(), binding.path("roleRef").path("name").asText());
    assertEquals("ServiceAccount", binding.path("subjects").get(0).path("kind").asText());
    String account = binding.path("subjects").get(0).path("name").asText();
    assertEquals(account, kind("ServiceAccount").get(0).path("metadata").path("name").asText());
  }
}

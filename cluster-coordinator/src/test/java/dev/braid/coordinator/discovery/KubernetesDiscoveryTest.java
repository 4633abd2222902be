package dev.braid.coordinator.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import dev.braid.coordinator.cluster.BraidNode;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.management.javadsl.PekkoManagement;
import org.junit.jupiter.api.Test;

/**
 * The Kubernetes discovery's configuration wiring, and its probes answered by a real Pekko
 * Management endpoint from a node's health (no Kubernetes here: bootstrap itself is not started).
 */
class KubernetesDiscoveryTest {
  private static Config base(String method) {
    return ConfigFactory.empty()
        .withValue("braid.discovery.method", ConfigValueFactory.fromAnyRef(method))
        .withValue("pekko.remote.artery.canonical.hostname", ConfigValueFactory.fromAnyRef("10.1.2.3"))
        .withFallback(ConfigFactory.load());
  }

  @Test
  void discoveryIsOffByDefaultAndLeavesTheConfigurationAlone() {
    Config config = ConfigFactory.load();
    DiscoverySettings s = DiscoverySettings.from(config);
    assertEquals(DiscoverySettings.Method.SEEDS, s.method());
    assertEquals(7626, s.managementPort());
    assertEquals("app.kubernetes.io/part-of=%s", s.podLabelSelector());
    assertEquals(2, s.requiredContactPoints());
    Config seeds = base("seeds");
    assertSame(seeds, KubernetesDiscovery.configure(seeds, List.of("10.0.0.5:25520")));
  }

  @Test
  void kubernetesSetsBootstrapDiscoveryByPodLabelAndTheProbes() {
    Config c = KubernetesDiscovery.configure(base("kubernetes"), List.of()).resolve();
    String cpd = "pekko.management.cluster.bootstrap.contact-point-discovery.";
    assertEquals("kubernetes-api", c.getString(cpd + "discovery-method"));
    assertEquals("braid", c.getString(cpd + "service-name"));
    assertEquals("management", c.getString(cpd + "port-name"));
    assertEquals(2, c.getInt(cpd + "required-contact-point-nr"));
    assertEquals("app.kubernetes.io/part-of=%s", c.getString("pekko.discovery.kubernetes-api.pod-label-selector"));
    assertEquals("org.apache.pekko.discovery.kubernetes.KubernetesApiServiceDiscovery",
        c.getString("pekko.discovery.kubernetes-api.class"), "the discovery method's own reference.conf is on the classpath");
    assertEquals(7626, c.getInt("pekko.management.http.port"));
    assertEquals("10.1.2.3", c.getString("pekko.management.http.hostname"));
    assertEquals(BraidReadinessCheck.class.getName(), c.getString("pekko.management.health-checks.readiness-checks.braid"));
    assertEquals(BraidLivenessCheck.class.getName(), c.getString("pekko.management.health-checks.liveness-checks.braid"));
    // Every key set here is one Pekko Management reads (present in its reference.conf): no typo goes unread.
    Config reference = ConfigFactory.defaultReference();
    for (String key : List.of(cpd + "discovery-method", cpd + "service-name", cpd + "port-name",
        cpd + "required-contact-point-nr", "pekko.discovery.kubernetes-api.pod-label-selector",
        "pekko.management.http.port", "pekko.management.http.hostname", "pekko.management.http.bind-hostname",
        "pekko.management.health-checks.readiness-checks", "pekko.management.health-checks.liveness-checks")) {
      assertTrue(reference.hasPath(key), key + " in Pekko Management's reference.conf");
    }
  }

  @Test
  void theFlagSetsTheMethodAndSeedsAreRefusedBesideKubernetes() {
    Config c = DiscoverySettings.withMethod(ConfigFactory.load(), "--discovery", "Kubernetes");
    assertTrue(DiscoverySettings.from(c).kubernetes());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> DiscoverySettings.withMethod(ConfigFactory.load(), "--discovery", "dns"));
    assertEquals("--discovery: expected seeds or kubernetes, got 'dns'", e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> KubernetesDiscovery.configure(base("kubernetes"), List.of("10.0.0.5:25520")));
    assertTrue(e.getMessage().startsWith("--seed / braid.cluster.seeds: expected none with braid.discovery.method = "
        + "kubernetes"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> DiscoverySettings.from(ConfigFactory.empty()
        .withValue("braid.discovery.management-port", ConfigValueFactory.fromAnyRef(0)).withFallback(ConfigFactory.load())));
    assertEquals("braid.discovery.management-port: expected a port in 1..65535, got 0", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> DiscoverySettings.from(ConfigFactory.empty()
        .withValue("braid.discovery.pod-label-selector", ConfigValueFactory.fromAnyRef("braid"))
        .withFallback(ConfigFactory.load())));
    assertTrue(e.getMessage().startsWith("braid.discovery.pod-label-selector: expected a selector"), e.getMessage());
  }

  @Test
  void outsideAPodKubernetesDiscoveryIsRefusedNamingTheMissingFile() {
    Config c = KubernetesDiscovery.configure(base("kubernetes"), List.of());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> KubernetesDiscovery.requireServiceAccount(c, p -> false));
    assertEquals("--discovery kubernetes: expected to run in a Kubernetes pod with a service account, but "
        + "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt (pekko.discovery.kubernetes-api.api-ca-path) does not "
        + "exist", e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> KubernetesDiscovery.requireServiceAccount(c, p -> p.toString().endsWith("ca.crt")));
    assertTrue(e.getMessage().contains("serviceaccount/token (pekko.discovery.kubernetes-api.api-token-path)"),
        e.getMessage());
    KubernetesDiscovery.requireServiceAccount(c, p -> true);
  }

  @Test
  void pekkoManagementAnswersTheProbesFromTheNodesHealth() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Config config = KubernetesDiscovery.configure(ConfigFactory.empty()
        .withValue("braid.discovery.method", ConfigValueFactory.fromAnyRef("kubernetes"))
        .withValue("braid.discovery.management-port", ConfigValueFactory.fromAnyRef(port))
        .withValue("pekko.actor.provider", ConfigValueFactory.fromAnyRef("cluster"))
        .withValue("pekko.remote.artery.canonical.hostname", ConfigValueFactory.fromAnyRef("127.0.0.1"))
        .withValue("pekko.remote.artery.canonical.port", ConfigValueFactory.fromAnyRef(0))
        .withFallback(ConfigFactory.load()), List.of());
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "braid", config);
    try {
      NodeHealth health = NodeHealth.get(system);
      // Management alone (bootstrap would call the Kubernetes API, absent here).
      PekkoManagement.get(Adapter.toClassic(system)).start().toCompletableFuture().get(30, TimeUnit.SECONDS);
      HttpClient http = HttpClient.newHttpClient();
      HttpResponse<String> ready = get(http, port, "/ready");
      assertEquals(500, ready.statusCode(), ready.body());
      assertTrue(ready.body().contains("starting"), ready.body());
      assertEquals(200, get(http, port, "/alive").statusCode(), "live while still bootstrapping");

      health.started(Set.of(BraidNode.Role.FRONTEND, BraidNode.Role.GPU));
      Cluster cluster = Cluster.get(system);
      cluster.manager().tell(Join.create(cluster.selfMember().address()));
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!"Up".equals(String.valueOf(health.facts().memberStatus())) && System.nanoTime() < until) {
        Thread.sleep(50);
      }
      ready = get(http, port, "/ready");
      assertEquals(500, ready.statusCode(), ready.body());
      assertTrue(ready.body().contains("no routing table"), ready.body());

      boolean[] table = {false};
      health.frontend(() -> true, () -> table[0]);
      table[0] = true;
      ready = get(http, port, "/ready");
      assertEquals(200, ready.statusCode(), ready.body());
      health.frontend(() -> false, () -> true); // draining
      assertEquals(500, get(http, port, "/ready").statusCode());
      assertFalse(NodeReadiness.ready(health.facts()).ok());
    } finally {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  private static HttpResponse<String> get(HttpClient http, int port, String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }
}

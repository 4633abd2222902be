package dev.braid.coordinator.discovery;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Predicate;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.management.cluster.bootstrap.ClusterBootstrap;
import org.apache.pekko.management.javadsl.PekkoManagement;

/**
 * Joining a cluster on Kubernetes without seed addresses: with {@code braid.discovery.method =
 * kubernetes} ({@code --discovery kubernetes}) a node starts Pekko Management's HTTP endpoint and
 * Cluster Bootstrap, which lists the pods matching the label selector through the Kubernetes API
 * (the pod's service account needs {@code get}, {@code list} and {@code watch} on pods), probes
 * their management ports, and either joins the cluster they form or, when none exists and
 * {@code required-contact-points} pods agree, lets the lowest-addressed one form it. The same
 * endpoint answers Kubernetes' probes: {@code /ready} and {@code /alive} ({@link
 * BraidReadinessCheck}, {@link BraidLivenessCheck}). Off (the default, {@code seeds}), nothing of
 * this starts and the node joins its {@code braid.cluster.seeds}.
 */
public final class KubernetesDiscovery {
  /** Pekko Management's name for the Kubernetes API discovery method. */
  static final String METHOD = "kubernetes-api";
  /** The container port name bootstrap probes on each pod (the manifests name 7626 so). */
  static final String PORT_NAME = "management";

  private KubernetesDiscovery() {}

  /**
   * {@code config} (a node's Pekko configuration, with its canonical host set) plus management,
   * bootstrap and health-check settings when discovery is {@code kubernetes}; unchanged otherwise.
   * Seeds and Kubernetes discovery exclude each other: peers come from one or the other.
   */
  public static Config configure(Config config, List<String> seeds) {
    DiscoverySettings s = DiscoverySettings.from(config);
    if (!s.kubernetes()) {
      return config;
    }
    if (!seeds.isEmpty()) {
      throw new IllegalArgumentException("--seed / braid.cluster.seeds: expected none with braid.discovery.method = "
          + "kubernetes (peers are found by pod label), got " + seeds);
    }
    String host = config.getString("pekko.remote.artery.canonical.hostname");
    String bootstrap = "pekko.management.cluster.bootstrap.contact-point-discovery.";
    return ConfigFactory.empty()
        .withValue("pekko.management.http.hostname", ConfigValueFactory.fromAnyRef(host))
        .withValue("pekko.management.http.port", ConfigValueFactory.fromAnyRef(s.managementPort()))
        .withValue("pekko.management.http.bind-hostname", ConfigValueFactory.fromAnyRef("0.0.0.0"))
        .withValue(bootstrap + "discovery-method", ConfigValueFactory.fromAnyRef(METHOD))
        .withValue(bootstrap + "service-name", ConfigValueFactory.fromAnyRef(s.serviceName()))
        .withValue(bootstrap + "port-name", ConfigValueFactory.fromAnyRef(PORT_NAME))
        .withValue(bootstrap + "required-contact-point-nr", ConfigValueFactory.fromAnyRef(s.requiredContactPoints()))
        .withValue("pekko.discovery.kubernetes-api.pod-label-selector",
            ConfigValueFactory.fromAnyRef(s.podLabelSelector()))
        .withValue("pekko.management.health-checks.readiness-checks.braid",
            ConfigValueFactory.fromAnyRef(BraidReadinessCheck.class.getName()))
        .withValue("pekko.management.health-checks.liveness-checks.braid",
            ConfigValueFactory.fromAnyRef(BraidLivenessCheck.class.getName()))
        .withFallback(config);
  }

  /**
   * Starts Pekko Management and Cluster Bootstrap when the system's configuration asks for
   * Kubernetes discovery; returns whether it did (then bootstrap, not the node, joins the cluster).
   */
  public static boolean start(ActorSystem<?> system) {
    NodeHealth.get(system); // created now, so that it sees the member come up
    if (!DiscoverySettings.from(system.settings().config()).kubernetes()) {
      return false;
    }
    requireServiceAccount(system.settings().config(), Files::isRegularFile);
    org.apache.pekko.actor.ActorSystem classic = Adapter.toClassic(system);
    PekkoManagement.get(classic).start();
    ClusterBootstrap.get(classic).start();
    system.log().info("discovery: kubernetes (pods labelled {}), management and probes on port {}",
        system.settings().config().getString("pekko.discovery.kubernetes-api.pod-label-selector"),
        system.settings().config().getInt("pekko.management.http.port"));
    return true;
  }

  /**
   * Refuses Kubernetes discovery outside a pod, naming what is missing: the service account's CA
   * certificate and token, which Kubernetes mounts into every pod and the API discovery reads
   * (Pekko's own failure would be a bare NoSuchFileException).
   */
  static void requireServiceAccount(Config config, Predicate<Path> exists) {
    for (String key : List.of("pekko.discovery.kubernetes-api.api-ca-path",
        "pekko.discovery.kubernetes-api.api-token-path")) {
      Path file = Path.of(config.getString(key));
      if (!exists.test(file)) {
        throw new IllegalArgumentException("--discovery kubernetes: expected to run in a Kubernetes pod with a service "
            + "account, but " + file + " (" + key + ") does not exist");
      }
    }
  }
}

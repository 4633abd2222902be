package dev.braid.coordinator.discovery;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.util.Locale;

/**
 * How a node finds the others, from the {@code braid.discovery} block: by the seed addresses it is
 * given ({@code seeds}, the default), or by asking the Kubernetes API server for the pods that
 * carry a label ({@code kubernetes}: Pekko Management's Cluster Bootstrap with the
 * {@code kubernetes-api} discovery method, no seed addresses).
 *
 * @param method seeds or kubernetes
 * @param managementPort Pekko Management's HTTP port: bootstrap's contact point, and the
 *     {@code /ready} and {@code /alive} probes Kubernetes calls
 * @param serviceName the value of the pod label that marks a Braid pod (see podLabelSelector)
 * @param podLabelSelector the Kubernetes label selector of Braid's pods; {@code %s} is replaced
 *     by serviceName
 * @param requiredContactPoints pods that must be found, and agree, before the lowest-addressed one
 *     forms a new cluster
 */
public record DiscoverySettings(Method method, int managementPort, String serviceName, String podLabelSelector,
    int requiredContactPoints) {
  /** How peers are found. */
  public enum Method {
    SEEDS, KUBERNETES;

    public static Method parse(String key, String text) {
      for (Method m : values()) {
        if (m.name().equalsIgnoreCase(text.trim())) {
          return m;
        }
      }
      throw new IllegalArgumentException(key + ": expected seeds or kubernetes, got '" + text + "'");
    }
  }

  public DiscoverySettings {
    if (managementPort < 1 || managementPort > 65_535) {
      throw new IllegalArgumentException("braid.discovery.management-port: expected a port in 1..65535, got "
          + managementPort);
    }
    if (serviceName == null || serviceName.isBlank()) {
      throw new IllegalArgumentException("braid.discovery.service-name: expected a pod label value, got '"
          + serviceName + "'");
    }
    if (podLabelSelector == null || !podLabelSelector.contains("=")) {
      throw new IllegalArgumentException("braid.discovery.pod-label-selector: expected a selector such as "
          + "'app.kubernetes.io/part-of=%s', got '" + podLabelSelector + "'");
    }
    if (requiredContactPoints < 1) {
      throw new IllegalArgumentException("braid.discovery.required-contact-points: expected an integer >= 1, got "
          + requiredContactPoints);
    }
  }

  public static DiscoverySettings from(Config config) {
    Config c = config.getConfig("braid.discovery");
    return new DiscoverySettings(Method.parse("braid.discovery.method", c.getString("method")),
        c.getInt("management-port"), c.getString("service-name"), c.getString("pod-label-selector"),
        c.getInt("required-contact-points"));
  }

  /** {@code config} with braid.discovery.method set from a flag ({@code --discovery}). */
  public static Config withMethod(Config config, String flag, String method) {
    Method m = Method.parse(flag, method);
    return ConfigFactory.empty()
        .withValue("braid.discovery.method", ConfigValueFactory.fromAnyRef(m.name().toLowerCase(Locale.ROOT)))
        .withFallback(config);
  }

  public boolean kubernetes() {
    return method == Method.KUBERNETES;
  }
}
